"""The page furniture shared by both handout layouts: fonts, metadata, header, footer, fitted text.

Fonts: the chain of pipeline/render/fonts.py (DejaVu Sans, then Noto Sans Math and a CJK face as fpdf2
fallback fonts), shipped in pipeline/fonts/ with their licences. fpdf2 embeds only the glyphs used, so
the files' size costs nothing per PDF. Every string is normalised on its way in (mathematical letters
become plain ones), so what is printed is what a search or a copy finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from fpdf import FPDF
from fpdf.enums import TextMode
from fpdf.prefs import ViewerPreferences

from ..errors import InputError
from .fonts import FAMILY, FONTS_DIR, add_to_pdf, normalise
from .text import clock

if TYPE_CHECKING:
    from ..types import SlideText

PAPERS = {"letter": "letter", "us letter": "letter", "a4": "A4"}
GREY = (110, 110, 110)
RULE = (190, 190, 190)
BOX_FILL = (241, 245, 251)  # a pale blue-grey: reads as a tint on screen and survives a mono printer as light grey
ACCENT = (46, 84, 150)      # the box's edge bar, title and bullets
MACHINE_INK = (78, 78, 78)  # captions a recogniser heard: a shade lighter than a person's, still easy to read
NOTICE_FILL = (252, 244, 226)  # a pale amber: a caution, not a key point
DEFAULT_TITLE = "Lecture handout"


@dataclass
class HandoutMeta:
    """What a handout says about itself: on its pages and in its PDF metadata."""

    title: str | None = DEFAULT_TITLE
    author: str | None = None            # the instructor, when known
    subject: str | None = None
    keywords: list[str] | str | None = None
    language: str = "en"
    source: str | None = None            # where the recording came from, shown in the footer
    duration: float | None = None        # seconds of the recording
    paper: str = "letter"                # "letter" or "a4"
    created: datetime | None = field(default=None)
    machine_captions: bool = False       # the captions came from speech recognition, not a person
    recogniser: str | None = None        # which recogniser, when known, e.g. "whisper-1"

    def __post_init__(self) -> None:
        self.title = " ".join((self.title or "").split()) or DEFAULT_TITLE
        key = (self.paper or "letter").strip().lower()
        if key not in PAPERS:
            raise InputError(f"paper {self.paper!r} is not supported; use 'letter' or 'a4'", field="paper")
        self.paper = "a4" if key == "a4" else "letter"

    @property
    def keywords_text(self) -> str:
        """Keywords as the PDF stores them: one comma-separated string."""
        if not self.keywords:
            return "lecture, slides, handout"
        if isinstance(self.keywords, str):
            return self.keywords
        return ", ".join(k for k in self.keywords if k)


def _xmp(meta: HandoutMeta, created: datetime) -> str:
    """The same metadata as an XMP packet: accessibility checkers read the title and language from here."""
    lang = escape(meta.language or "en")
    author = (f"<dc:creator><rdf:Seq><rdf:li>{escape(meta.author)}</rdf:li></rdf:Seq></dc:creator>"
              if meta.author else "")
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(meta.title or DEFAULT_TITLE)}</rdf:li></rdf:Alt></dc:title>'
        f"{author}"
        f"<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>"
        f"<pdf:Keywords>{escape(meta.keywords_text)}</pdf:Keywords>"
        "<xmp:CreatorTool>Handouts</xmp:CreatorTool>"
        f"<xmp:CreateDate>{created.isoformat(timespec='seconds')}</xmp:CreateDate>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


@dataclass(frozen=True)
class BoxStyle:
    """Sizes of a key points box: a tinted panel with an accent bar, an optional title and bullets."""

    text_size: float           # pt
    line_h: float              # mm per wrapped line
    title_size: float = 8.5
    title_h: float = 4.6
    pad: float = 3.0           # inside the panel, all round
    bar: float = 1.2           # the accent bar on the left edge
    indent: float = 4.2        # from the bullet to its text
    gap: float = 1.2           # between two bullets
    max_lines: int = 4         # a point longer than this is cut with an ellipsis, so a box always fits a page

    def text_width(self, width: float) -> float:
        """Room for a point's text in a box `width` wide."""
        return width - self.bar - 2 * self.pad - self.indent


class HandoutPDF(FPDF):
    """An FPDF with the handout's fonts, metadata, header and footer set up."""

    margin = 12.0      # left and right, mm
    top = 9.0          # header starts here
    body_top = 19.0    # content starts below the header rule
    footer_room = 13.0 # content stops this far above the bottom edge

    def __init__(self, meta: HandoutMeta) -> None:
        super().__init__(orientation="portrait", unit="mm", format=PAPERS[meta.paper])
        self.meta = meta
        add_to_pdf(self)
        self.set_margins(self.margin, self.body_top, self.margin)
        self.c_margin = 0  # text boxes are placed by hand; cell padding would only skew the measurements
        self.set_auto_page_break(True, margin=self.footer_room)
        self.set_title(normalise(meta.title))
        if meta.author:
            self.set_author(meta.author)
        self.set_subject(meta.subject or "Lecture slides with what was said while each was on screen")
        self.set_keywords(meta.keywords_text)
        self.set_creator("Handouts")
        self.set_lang(meta.language or "en")
        self.set_creation_date(meta.created or datetime.now(timezone.utc))
        self.set_xmp_metadata(_xmp(meta, self.creation_date))
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.page_mode = "USE_OUTLINES"
        self.set_font(FAMILY, size=9)

    def normalize_text(self, text: str) -> str:
        """Every string drawn or measured passes here: mathematical letters become plain ones first."""
        return super().normalize_text(normalise(text))

    def start_section(self, name: str, level: int = 0, strict: bool = True) -> None:
        """An outline entry, with the same normalised text as the page."""
        super().start_section(normalise(name), level, strict)

    @property
    def body_bottom(self) -> float:
        """Lowest y that content may reach."""
        return self.h - self.footer_room

    def header(self) -> None:
        """Lecture title on the left, instructor on the right, a thin rule below."""
        self.set_xy(self.margin, self.top)
        self.set_font(FAMILY, "", 8)
        # The instructor's name gets at most 40% of the line; the title keeps the rest.
        right = self.fit_lines(self.meta.author, self.epw * 0.4 - 4, 1)[0] if self.meta.author else ""
        right_w = self.get_string_width(right) + 4 if right else 0
        self.set_font(FAMILY, "B", 10.5)
        self.set_text_color(0)
        title = self.fit_lines(self.meta.title, self.epw - right_w, 1)[0]
        self.cell(self.epw - right_w, 6, title)
        if right:
            self.set_font(FAMILY, "", 8)
            self.set_text_color(*GREY)
            self.set_xy(self.margin + self.epw - right_w, self.top)
            self.cell(right_w, 6, right, align="R")
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.margin, self.top + 7.5, self.w - self.margin, self.top + 7.5)
        self.set_text_color(0)
        self.set_xy(self.margin, self.body_top)

    def footer(self) -> None:
        """Source and length of the recording on the left, page x/y in the middle."""
        y = self.h - 9.5
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*GREY)
        # Centred, because fpdf2 reserves a fixed width for the {nb} total: flush right it would wander.
        page = f"Page {self.page_no()}/{{nb}}"
        page_w = self.get_string_width(f"Page {self.page_no()}/000")
        room = self.epw / 2 - page_w / 2 - 4
        length = f" \u00b7 {clock(self.meta.duration)}" if self.meta.duration else ""
        source = self.meta.source or ""
        if source:
            # A long URL gets cut; the length of the recording after it stays whole.
            source = self.fit_lines(source, room - self.get_string_width(length), 1)[0]
        facts = (source + length) if source else (f"Recording: {clock(self.meta.duration)}" if length else "")
        if facts:
            self.set_xy(self.margin, y)
            self.cell(room, 4, facts)
        self.set_xy(self.margin, y)
        self.cell(self.epw, 4, page, align="C")
        self.set_text_color(0)

    def fit_lines(self, text: str, width: float, max_lines: int) -> list[str]:
        """Wrap `text` to `width` in the current font; past `max_lines` cut the last line with an ellipsis."""
        if not text or max_lines <= 0:
            return [""] if max_lines > 0 else []
        lines: list[str] = self.multi_cell(width, 1, text, dry_run=True, output="LINES")
        if len(lines) <= max_lines:
            return lines
        kept = lines[:max_lines]
        last = kept[-1].rstrip()
        ellipsis = "\u2026"
        while last and self.get_string_width(last + ellipsis) > width:
            # drop the last word when there is one, else the last character (a very long word)
            cut = last.rfind(" ")
            last = last[:cut].rstrip() if cut > 0 else last[:-1]
        kept[-1] = last.rstrip(" ,;:.\u2013\u2014-") + ellipsis
        return kept

    def heading_lines(self, one_line: str, parts: list[str], width: float) -> list[str]:
        """A heading on one line when it fits, else one line per part, so breaks fall between parts."""
        if self.get_string_width(one_line) <= width:
            return [one_line]
        return [self.fit_lines(p, width, 1)[0] for p in parts]

    def text_lines(self, x: float, y: float, width: float, line_h: float, lines: list[str],
                   align: str = "L") -> float:
        """Write prepared lines one under another from (x, y); returns the y below the last line."""
        for line in lines:
            self.set_xy(x, y)
            self.cell(width, line_h, line, align=align)
            y += line_h
        return y

    def framed_image(self, img: object, box: tuple[float, float, float, float], px: tuple[int, int],
                     alt: str) -> tuple[float, float, float, float]:
        """Place an image centred at the top of box (x, y, w, h), aspect kept, with a hairline frame."""
        x, y, bw, bh = box
        scale = min(bw / px[0], bh / px[1])
        w, h = px[0] * scale, px[1] * scale
        ix = x + (bw - w) / 2
        self.image(img, x=ix, y=y, w=w, h=h, alt_text=alt)
        # White slides vanish into white paper without an edge.
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        self.rect(ix, y, w, h)
        return ix, y, w, h

    def text_layer(self, slide_text: "SlideText | None", frame: tuple[float, float, float, float]) -> int:
        """Invisible text (render mode 3) over a placed slide image, each line sized to its box; returns lines laid.

        A reader selects, copies and searches the slide's own words; nothing changes on paper. A box outside
        the image, empty or upside down is skipped rather than drawn somewhere wrong.
        """
        if slide_text is None or not slide_text.lines:
            return 0
        x, y, w, h = frame
        laid = 0
        family, style, size = self.font_family, self.font_style, self.font_size_pt
        # A local context wraps the layer in q/Q, so the PDF's text render mode and stretching go back too.
        with self.local_context(text_mode=TextMode.INVISIBLE):
            for line in slide_text.lines:
                words = " ".join(normalise(line.text).split())
                x0, y0, x1, y1 = (min(1.0, max(0.0, v)) for v in line.box)
                if not words or x1 - x0 <= 0.001 or y1 - y0 <= 0.001:
                    continue
                box_w, box_h = (x1 - x0) * w, (y1 - y0) * h
                # OCR boxes hug the ink: cap height plus descenders is about 0.9 of the em.
                self.set_font(FAMILY, "", max(1.0, box_h / 0.9 * 72 / 25.4))
                natural = self.get_string_width(words)
                self.set_stretching(min(400.0, max(25.0, 100.0 * box_w / natural)) if natural > 0 else 100.0)
                self.text(x + x0 * w, y + y0 * h + box_h * 0.78, words)
                laid += 1
            self.set_stretching(100.0)
        self.set_font(family, style, size)
        return laid

    def notice(self, x: float, y: float, w: float, text: str, size: float = 8.0) -> float:
        """A one-paragraph caution in a pale amber strip (machine-heard captions); returns the y below it."""
        lines = self.notice_lines(text, w, size)
        h = self.notice_height(lines, size)
        self.set_fill_color(*NOTICE_FILL)
        self.rect(x, y, w, h, style="F")
        self.set_fill_color(255)
        self.set_font(FAMILY, "", size)
        self.set_text_color(*MACHINE_INK)
        self.text_lines(x + 2.5, y + 1.6, w - 5.0, size * 0.47, lines)
        self.set_text_color(0)
        return y + h

    def notice_lines(self, text: str, w: float, size: float = 8.0) -> list[str]:
        """The wrapped lines of a notice `w` wide."""
        self.set_font(FAMILY, "", size)
        return self.fit_lines(text, w - 5.0, 3)

    @staticmethod
    def notice_height(lines: list[str], size: float = 8.0) -> float:
        """Height of a notice holding `lines`."""
        return len(lines) * size * 0.47 + 3.2

    def wrap_points(self, points: list[str], width: float, style: BoxStyle) -> list[list[str]]:
        """Each point wrapped as it prints in a box `width` wide, cut after `style.max_lines` lines."""
        self.set_font(FAMILY, "", style.text_size)
        return [self.fit_lines(p, style.text_width(width), style.max_lines) for p in points]

    @staticmethod
    def box_height(items: list[list[str]], style: BoxStyle, title: bool = True) -> float:
        """Height of a whole box holding the wrapped points `items`."""
        body = sum(len(lines) for lines in items) * style.line_h + max(0, len(items) - 1) * style.gap
        return 2 * style.pad + (style.title_h if title else 0) + body

    def box_panel(self, x: float, y: float, w: float, h: float, style: BoxStyle) -> None:
        """The tinted panel with its accent bar; drawn before the text that sits on it."""
        self.set_fill_color(*BOX_FILL)
        self.rect(x, y, w, h, style="F")
        self.set_fill_color(*ACCENT)
        self.rect(x, y, style.bar, h, style="F")
        self.set_fill_color(255)

    def box_bullet(self, x: float, y: float, w: float, lines: list[str], style: BoxStyle) -> float:
        """One bullet and its wrapped lines in a panel at x, `w` wide; returns the y below it."""
        left = x + style.bar + style.pad
        self.set_font(FAMILY, "B", style.text_size)
        self.set_text_color(*ACCENT)
        self.set_xy(left, y)
        self.cell(style.indent, style.line_h, "\u2022")
        self.set_font(FAMILY, "", style.text_size)
        self.set_text_color(0)
        return self.text_lines(left + style.indent, y, style.text_width(w), style.line_h, lines)

    def points_box(self, x: float, y: float, w: float, title: str, items: list[list[str]],
                   style: BoxStyle) -> float:
        """A whole box: panel, title and bullets from (x, y), `w` wide; returns the y below it."""
        h = self.box_height(items, style)
        self.box_panel(x, y, w, h, style)
        self.set_font(FAMILY, "B", style.title_size)
        self.set_text_color(*ACCENT)
        self.set_xy(x + style.bar + style.pad, y + style.pad)
        self.cell(style.text_width(w), style.title_h - 1.0, title)
        line_y = y + style.pad + style.title_h
        for k, lines in enumerate(items):
            line_y = self.box_bullet(x, line_y, w, lines, style) + (style.gap if k < len(items) - 1 else 0)
        self.set_text_color(0)
        return y + h
