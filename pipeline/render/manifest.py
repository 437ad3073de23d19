"""slides.json: the machine-readable handout, one entry per showing, for other tools and for re-rendering.

Shape (version 1):
    {"version": 1, "slides": [{"start": 12.5, "end": 47.0, "image": "slide-003.png",
                               "text": "...", "repeat_of": null}, ...], ...extras}
An entry also holds "slide_text" ({"title", "lines": [{"text", "box", "confidence"}], "engine"}) when OCR read
the slide, and "covered" ([x0, y0, x1, y1] fractions of the image) when a speaker box hides part of it.
Times are seconds rounded to the millisecond. Extras (title, duration, captions_source, ...) sit beside
"slides" at the top level; cues are left out, the text already holds what they said.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..errors import InputError, SourceNotFound
from ..types import Showing, SlideText
from .files import atomic_output

VERSION = 1
RESERVED = ("slides", "version")


def _entry(s: Showing) -> dict:
    entry = {"start": round(float(s.start), 3), "end": round(float(s.end), 3), "image": s.image,
             "text": s.text or "", "repeat_of": s.repeat_of}
    if s.slide_text is not None:
        entry["slide_text"] = s.slide_text.to_json()
    if s.covered is not None:
        entry["covered"] = [round(float(v), 4) for v in s.covered]
    return entry


def _box(path: Path, i: int, field: str, value: object) -> tuple[float, float, float, float]:
    ok = (isinstance(value, list) and len(value) == 4
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in value))
    if not ok or value[2] <= value[0] or value[3] <= value[1]:
        raise _bad(path, i, field, f"must be [x0, y0, x1, y1], fractions 0 to 1 with x0 < x1 and y0 < y1 "
                   f"(got {value!r})")
    return tuple(float(v) for v in value)


def _slide_text(path: Path, i: int, value: object) -> SlideText:
    if not isinstance(value, dict) or not isinstance(value.get("title", ""), str) \
            or not isinstance(value.get("lines", []), list):
        raise _bad(path, i, "slide_text", "must be an object with a title string and a list of lines")
    for k, line in enumerate(value.get("lines", [])):
        if not isinstance(line, dict) or not isinstance(line.get("text"), str):
            raise _bad(path, i, f"slide_text.lines[{k}]", "must be an object with a text string and a box")
        _box(path, i, f"slide_text.lines[{k}].box", line.get("box"))
    return SlideText.from_json(value)


def write_manifest(showings: list[Showing], out: Path, *, extra: dict | None = None) -> Path:
    """Write slides.json for these showings, in order, with `extra` keys beside "slides"."""
    extra = dict(extra or {})
    clash = [k for k in RESERVED if k in extra]
    if clash:
        raise InputError(f"manifest extra key {clash[0]!r} is reserved for the manifest itself; "
                         "give the value another name", field=clash[0])
    doc = {"version": VERSION, **extra, "slides": [_entry(s) for s in showings]}
    try:
        body = json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InputError(f"manifest cannot be written as JSON: {e}; extras must be plain JSON values "
                         "and times finite numbers") from None
    with atomic_output(out) as tmp:
        tmp.write_text(body + "\n", encoding="utf-8")
    return Path(out)


def _bad(path: Path, index: int, field: str, problem: str) -> InputError:
    return InputError(f"{path}: slides[{index}].{field} {problem}", index=index, field=field)


def _seconds(path: Path, i: int, entry: dict, field: str) -> float:
    v = entry.get(field)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise _bad(path, i, field, f"must be a number of seconds, 0 or more (got {v!r})")
    return float(v)


def _showing(path: Path, i: int, entry: object, earlier: list[Showing]) -> Showing:
    if not isinstance(entry, dict):
        raise InputError(f"{path}: slides[{i}] must be an object with start, end, image, text, repeat_of "
                         f"(got {type(entry).__name__})", index=i, field="slides")
    for key in ("start", "end", "image"):
        if key not in entry:
            raise _bad(path, i, key, "is missing")
    start, end = _seconds(path, i, entry, "start"), _seconds(path, i, entry, "end")
    if end < start:
        raise _bad(path, i, "end", f"({end}) is before start ({start})")
    image = entry["image"]
    if not isinstance(image, str) or not image.strip():
        raise _bad(path, i, "image", f"must be a non-empty file name (got {image!r})")
    if "/" in image or "\\" in image or image in (".", ".."):
        raise _bad(path, i, "image", f"must be a plain file name such as slide-003.png (got {image!r})")
    text = entry.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise _bad(path, i, "text", f"must be a string (got {type(text).__name__})")
    repeat_of = entry.get("repeat_of")
    if repeat_of is not None:
        if isinstance(repeat_of, bool) or not isinstance(repeat_of, int) or not 0 <= repeat_of < i:
            raise _bad(path, i, "repeat_of", f"must be null or the index of an earlier slide, 0 to {i - 1} "
                       f"(got {repeat_of!r})")
        if earlier[repeat_of].image != image:
            raise _bad(path, i, "repeat_of", f"points to slides[{repeat_of}] whose image "
                       f"{earlier[repeat_of].image!r} differs from {image!r}")
    slide_text = _slide_text(path, i, entry["slide_text"]) if entry.get("slide_text") is not None else None
    covered = _box(path, i, "covered", entry["covered"]) if entry.get("covered") is not None else None
    return Showing(start=start, end=end, image=image, repeat_of=repeat_of, text=text, slide_text=slide_text,
                   covered=covered)


def read_manifest(path: Path) -> list[Showing]:
    """Read slides.json back into showings, naming the index and field of the first thing wrong."""
    path = Path(path)
    if not path.is_file():
        raise SourceNotFound(str(path), f"{path}: no such manifest file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e}); a manifest is a UTF-8 JSON file") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: the manifest must be a JSON object with a \"slides\" list "
                         f"(got {type(doc).__name__})", field="slides")
    version = doc.get("version", VERSION)
    if version != VERSION:
        raise InputError(f"{path}: manifest version {version!r} is not supported; this reader knows "
                         f"version {VERSION}", field="version")
    slides = doc.get("slides")
    if not isinstance(slides, list):
        raise InputError(f"{path}: \"slides\" must be a list of slide entries "
                         f"(got {type(slides).__name__ if 'slides' in doc else 'nothing'})", field="slides")
    showings: list[Showing] = []
    for i, entry in enumerate(slides):
        showings.append(_showing(path, i, entry, showings))
    return showings
