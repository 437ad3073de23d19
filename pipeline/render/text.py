"""Words shown on a handout: clock times, slide numbers, alt text, key points, and the checks they rely on."""

from __future__ import annotations

import math
import re

from ..ai.schemas import KeyPoints
from ..errors import InputError
from ..types import Showing

SLIDE_POINTS_SHOWN = 3     # a box under a slide is a reminder, not a second transcript
LECTURE_POINTS_SHOWN = 12  # what the key_points prompt asks for at most; bounds the first page


def clock(seconds: float) -> str:
    """A time in the lecture as m:ss, or h:mm:ss past the first hour ("12:05", "1:02:05")."""
    total = max(0, int(math.floor(seconds + 1e-6)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def span(start: float, end: float) -> str:
    """The time a slide was on screen, e.g. "12:05–13:40"."""
    return f"{clock(start)}\u2013{clock(end)}"


def spoken_text(showing: Showing) -> str:
    """What was said during a showing: its text, or its cues joined when the text was left empty."""
    text = showing.text.strip() if showing.text else ""
    if not text and showing.cues:
        text = " ".join(c.text.strip() for c in showing.cues if c.text.strip())
    # Captions carry line breaks from the subtitle file; in a handout they are one paragraph.
    return " ".join(text.split())


def first_words(text: str, count: int = 20) -> str:
    """The first `count` words of a text, with an ellipsis when there were more."""
    words = text.split()
    return " ".join(words[:count]) + ("\u2026" if len(words) > count else "")


def check_showings(showings: list[Showing]) -> None:
    """Refuse a list a handout cannot be made from: empty, or a revisit pointing nowhere sensible."""
    if not showings:
        raise InputError("there are no slides to put in the handout (the list of showings is empty); "
                         "the slides stage must find at least one slide in the video")
    for i, s in enumerate(showings):
        if s.repeat_of is None:
            continue
        if isinstance(s.repeat_of, bool) or not isinstance(s.repeat_of, int) or not 0 <= s.repeat_of < i:
            raise InputError(f"showing {i}: repeat_of={s.repeat_of!r} must be the index of an earlier showing "
                             f"(0 to {i - 1})", index=i, field="repeat_of")


def slide_numbers(showings: list[Showing]) -> list[int]:
    """The number each showing is known by: new slides count up from 1, a revisit takes its original's number."""
    check_showings(showings)
    numbers: list[int] = []
    next_number = 1
    for s in showings:
        if s.repeat_of is None:
            numbers.append(next_number)
            next_number += 1
        else:
            numbers.append(numbers[s.repeat_of])
    return numbers


def label_parts(number: int, showing: Showing) -> list[str]:
    """The heading of a slide on the page, in the pieces it may be broken into when space is short."""
    when = span(showing.start, showing.end)
    if showing.repeat_of is not None:
        return [when, f"(again: slide {number})"]
    return [f"Slide {number}", when]


def label(number: int, showing: Showing) -> str:
    """The heading of a slide on one line: "Slide 3 · 12:05–13:40" or "25:10–26:00 (again: slide 3)"."""
    parts = label_parts(number, showing)
    return (" " if showing.repeat_of is not None else " \u00b7 ").join(parts)


def slide_titles(showings: list[Showing]) -> list[str]:
    """The title read on each showing's slide (OCR), "" when unread; a revisit borrows its original's."""
    titles: list[str] = []
    for s in showings:
        own = " ".join(s.slide_text.title.split()) if s.slide_text is not None else ""
        titles.append(own or (titles[s.repeat_of] if s.repeat_of is not None else ""))
    return titles


def bookmark(number: int, showing: Showing, title: str = "") -> str:
    """The outline entry of a showing: "Slide 3: Rayleigh fading" with a slide title, else "Slide 3 — 12:05"."""
    again = " (again)" if showing.repeat_of is not None else ""
    if title:
        return f"Slide {number}{again}: {title}"
    return f"Slide {number}{again} \u2014 {clock(showing.start)}"


def alt_text(number: int, showing: Showing, title: str = "") -> str:
    """A description of a slide image for screen readers: which slide, its title, when, and the first words said."""
    said = spoken_text(showing)
    base = f"Slide {number}" + (f" \u201c{title}\u201d" if title else "") + f", shown {span(showing.start, showing.end)}"
    if showing.repeat_of is not None:
        base += " (shown again)"
    return f"{base}: {first_words(said)}" if said else f"{base}; nothing was said."


# **x** or __x__ with no space just inside the markers; a run of underscores (a cloze blank "_____") is no marker.
_EMPHASIS = re.compile(r"\*\*(?!\s)(.+?)(?<!\s)\*\*|(?<!_)__(?![\s_])(.+?)(?<![\s_])__(?!_)", re.DOTALL)


def unmarked(text: str) -> str:
    """`text` without Markdown emphasis (**bold**, __bold__): models add it, a PDF would print the asterisks."""
    return _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)


def _plain(point: str) -> str:
    """A point as one line of plain text: no list marker, no Markdown emphasis, single spaces."""
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", point)
    return " ".join(text.split()).lstrip("-\u2022* ").strip()


def lecture_points(key_points: KeyPoints) -> list[str]:
    """The lecture's key points as printed: plain, non-empty, at most LECTURE_POINTS_SHOWN."""
    return [p for p in map(_plain, key_points.lecture) if p][:LECTURE_POINTS_SHOWN]


def slide_points(key_points: KeyPoints, count: int) -> list[list[str]]:
    """Each showing's key points by 0-based index, plain, at most SLIDE_POINTS_SHOWN each.

    An index outside the lecture is dropped rather than refused: the points come from a model, and a stray
    index must not cost the student the whole handout.
    """
    found: list[list[str]] = [[] for _ in range(count)]
    for sp in key_points.slides:
        if isinstance(sp.index, int) and 0 <= sp.index < count:
            found[sp.index].extend(p for p in map(_plain, sp.points) if p)
    return [points[:SLIDE_POINTS_SHOWN] for points in found]


def _comparable(text: str) -> str:
    """Text reduced to lower-case words, so wording can be compared regardless of punctuation and case."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def new_points(points: list[str], said: str) -> list[str]:
    """The points that do not merely repeat what was said: one found word for word in `said` is dropped."""
    caption = f" {_comparable(said)} "
    return [p for p in points if (words := _comparable(p)) and f" {words} " not in caption]


def covered_note(box: tuple[float, float, float, float]) -> str:
    """What the notes page says under a slide a speaker box still hides, naming where on the slide it is."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else ""
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else ""
    where = " ".join(w for w in (row, col) if w) or "middle"
    share = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return (f"The speaker video covers part of this slide ({where}, about {max(1, round(share * 100))}% of it), "
            "so some of what is written there may be hidden.")


def machine_notice(recogniser: str | None) -> str:
    """The first-page caution of a handout whose captions a speech recogniser produced."""
    who = f" ({recogniser})" if recogniser else ""
    return (f"The captions in this handout were produced by automatic speech recognition{who}, not by a person, "
            "and may contain errors: check names, numbers and formulas against the slides or the recording.")


def contents_label(number: int, showing: Showing) -> str:
    """A showing's name in the table of contents: "Slide 3", or "Slide 3 (again)" for a revisit."""
    return f"Slide {number}" + (" (again)" if showing.repeat_of is not None else "")
