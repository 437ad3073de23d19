"""The font chain every rendered file shares, so no character vanishes: DejaVu Sans first, then Noto Sans
Math and a compact CJK face (Droid Sans Fallback) for what DejaVu lacks.

Slide decks pasted into captions and AI answers carry mathematical alphanumerics ("𝑝" is U+1D45D, not "p");
those are mapped to plain letters first, so the text a student searches for is the text on the page.
PDFs use fpdf2's fallback fonts; PNGs get a Pillow font that draws each run of text in the first face of the
chain that has its glyphs. See pipeline/fonts/SOURCES.md for where the files come from and their licences.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageFont

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"
FAMILY = "DejaVuSans"
REGULAR = FONTS_DIR / "DejaVuSans.ttf"
BOLD = FONTS_DIR / "DejaVuSans-Bold.ttf"
# (fpdf2 family, file): tried in this order for a character the main face lacks; both are regular only.
FALLBACKS = (("NotoSansMath", FONTS_DIR / "NotoSansMath-Regular.ttf"),
             ("DroidSansFallback", FONTS_DIR / "DroidSansFallback-CJK.ttf"))
SVG_FONT_FAMILY = "'DejaVu Sans', 'Noto Sans Math', 'Droid Sans Fallback', 'Noto Sans CJK SC', Verdana, sans-serif"

# Mathematical alphanumerics (bold, italic, script, fraktur, double-struck, sans, mono letters and digits),
# plus U+210E PLANCK CONSTANT, which stands in for the missing italic small h of that block.
_MATH_LETTERS = re.compile("[\U0001D400-\U0001D7FF\u210E]")


def normalise(text: str) -> str:
    """Text as a handout prints it: mathematical letters and digits become plain ones ("𝑝ijk" -> "pijk")."""
    if not text or not _MATH_LETTERS.search(text):
        return text
    return _MATH_LETTERS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


@lru_cache(maxsize=None)
def _cmap(path: Path) -> frozenset[int]:
    return frozenset(TTFont(str(path), lazy=True).getBestCmap())


def chain(bold: bool = False) -> tuple[Path, ...]:
    """The font files tried for a character, in order."""
    return ((BOLD if bold else REGULAR),) + tuple(p for _, p in FALLBACKS)


def font_for(char: str, bold: bool = False) -> Path | None:
    """The first font of the chain that draws `char`, or None when none does."""
    code = ord(char)
    return next((p for p in chain(bold) if code in _cmap(p)), None)


def missing(text: str) -> str:
    """The characters of `text` (after normalising) that no font of the chain can draw; spaces never count."""
    return "".join(dict.fromkeys(c for c in normalise(text) if not c.isspace() and unicodedata.category(c)[0] != "C"
                                 and font_for(c) is None))


def add_to_pdf(pdf) -> None:
    """Register the chain with an fpdf2 document: FAMILY regular and bold, and the fallbacks for any style."""
    pdf.add_font(FAMILY, "", REGULAR)
    pdf.add_font(FAMILY, "B", BOLD)
    for family, path in FALLBACKS:
        pdf.add_font(family, "", path)
    # exact_match=False: a bold run of CJK or maths falls back to the regular face rather than vanishing.
    pdf.set_fallback_fonts([family for family, _ in FALLBACKS], exact_match=False)


def _runs(text: str, bold: bool) -> list[tuple[str, Path]]:
    """`text` cut into runs that one font of the chain draws whole; an undrawable character stays with the main face."""
    main = chain(bold)[0]
    runs: list[tuple[str, Path]] = []
    for c in text:
        path = main if c.isspace() else (font_for(c, bold) or main)
        if runs and runs[-1][1] == path:
            runs[-1] = (runs[-1][0] + c, path)
        else:
            runs.append((c, path))
    return runs


class ChainFont(ImageFont.FreeTypeFont):
    """A Pillow font that measures and draws with the whole chain: each run in the first face that has it.

    It is a FreeTypeFont of the main face (so ascent, line metrics and anchors come from DejaVu Sans) whose
    getlength, getbbox and getmask2 stitch the runs together; text wholly in the main face takes the
    ordinary path. Direction, features and language apply to every run alike.
    """

    def __init__(self, size: int, bold: bool = False) -> None:
        super().__init__(str(chain(bold)[0]), size)
        self.bold = bold
        self._faces = {p: (self if i == 0 else ImageFont.truetype(str(p), size))
                       for i, p in enumerate(chain(bold))}

    def _split(self, text: str) -> list[tuple[str, ImageFont.FreeTypeFont]] | None:
        text = normalise(text)
        runs = _runs(text, self.bold)
        if len(runs) <= 1 and (not runs or runs[0][1] == chain(self.bold)[0]):
            return None
        return [(t, self._faces[p]) for t, p in runs]

    def _face_call(self, face: ImageFont.FreeTypeFont, name: str, *args, **kwargs):
        method = getattr(super(ChainFont, self), name) if face is self else getattr(face, name)
        return method(*args, **kwargs)

    def getlength(self, text, mode="", direction=None, features=None, language=None) -> float:
        """Advance width of `text` in pixels, each run measured in its own face."""
        runs = self._split(text) if isinstance(text, str) else None
        if runs is None:
            return super().getlength(normalise(text) if isinstance(text, str) else text, mode, direction,
                                     features, language)
        return sum(self._face_call(f, "getlength", t, mode, direction, features, language) for t, f in runs)

    def getbbox(self, text, mode="", direction=None, features=None, language=None, stroke_width=0, anchor=None):
        """Bounding box of `text` drawn at the origin with `anchor` (default "la")."""
        runs = self._split(text) if isinstance(text, str) else None
        if runs is None:
            return super().getbbox(normalise(text) if isinstance(text, str) else text, mode, direction, features,
                                   language, stroke_width, anchor)
        mask, (ox, oy) = self.getmask2(text, mode or "L", direction, features, language, stroke_width, anchor)
        return ox, oy, ox + mask.size[0], oy + mask.size[1]

    def getmask2(self, text, mode="", direction=None, features=None, language=None, stroke_width=0,
                 anchor=None, ink=0, start=None, *args, **kwargs):
        """The text's mask and its offset from the anchor point, as FreeTypeFont.getmask2 gives them."""
        runs = self._split(text) if isinstance(text, str) else None
        if runs is None:
            return super().getmask2(normalise(text) if isinstance(text, str) else text, mode, direction, features,
                                    language, stroke_width, anchor, ink, start, *args, **kwargs)
        anchor = anchor or "la"
        if len(anchor) != 2 or anchor[0] not in "lmrs" or anchor[1] not in "amsbdt":
            raise ValueError(f"anchor {anchor!r} is not a horizontal-text anchor such as 'la' or 'mm'")
        pieces = []
        x = 0.0
        for t, face in runs:
            mask, (ox, oy) = self._face_call(face, "getmask2", t, mode, direction, features, language,
                                             stroke_width, "ls", ink, None, *args, **kwargs)
            pieces.append((Image.Image()._new(mask), round(x) + ox, oy))
            x += self._face_call(face, "getlength", t, mode, direction, features, language)
        left = min(px for _, px, _ in pieces)
        top = min(py for _, _, py in pieces)
        right = max(px + im.width for im, px, _ in pieces)
        bottom = max(py + im.height for im, _, py in pieces)
        canvas = Image.new(pieces[0][0].mode, (max(1, right - left), max(1, bottom - top)), 0)
        for im, px, py in pieces:
            if im.width and im.height:
                box = (px - left, py - top)
                canvas.paste(im, box, im if im.mode in ("L", "1") else None)
        ascent, descent = self.getmetrics()
        dx = {"l": 0.0, "m": -x / 2, "r": -x, "s": 0.0}[anchor[0]]
        dy = {"a": ascent, "t": ascent, "m": (ascent - descent) / 2, "s": 0.0, "b": -descent,
              "d": -descent}[anchor[1]]
        return canvas.im, (left + round(dx), top + round(dy))


@lru_cache(maxsize=32)
def pil_font(size: int, bold: bool = False) -> ChainFont:
    """A Pillow font of the chain at `size` pixels, cached: what PNG renderers pass to ImageDraw.text."""
    return ChainFont(max(1, int(size)), bold)
