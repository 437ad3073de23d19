"""From boxes an OCR engine found to a slide's text: lines in reading order, and which of them is the title.

Engines return fragments (a word group, a line, sometimes half a line). Fragments whose vertical extents
overlap are one row; fragments of a row that stand close together are one line. The title is found by
position and size, as a reader finds it: the largest text near the top, never a footer, page number or a
logo line (small text in a corner). A title slide's title (`prominent_text`, the lecture's title) is read the
same way with what title slides add: a logo passed over even when taller, a second title line, the line naming
the lecture under the course's name, and no date, address or author line.
"""

from __future__ import annotations

import re
from statistics import median

from ..types import Box, TextLine

_FOOTER_TOP = 0.88        # a line starting below this fraction of the height is footer territory
_TITLE_ZONE = 0.45        # a slide's title starts in the upper part of the slide
_PAGE_NUMBER = re.compile(r"^\s*(?:(?:slide|page|p\.?)\s*)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?\s*$", re.I)

# on a title slide
_EDGE_BAND = 0.18         # the top and bottom bands where logos and institution names sit in the corners
_LECTURE_ZONE = 0.75      # a line naming the lecture starts above this fraction of the height
_MAX_BLOCK_LINES = 3
_MAX_TITLE = 150
_LECTURE = re.compile(r"^\s*(?:lecture|lec\.|class|session|week|chapter|part|unit|module|topic|seminar|tutorial|"
                      r"lab|day)\s*(?:\d{1,3}|[ivx]{1,5})\b", re.I)
_LECTURE_ONLY = re.compile(_LECTURE.pattern + r"\s*$", re.I)
_URL = re.compile(r"https?://|www\.|\S@\S|\b[\w-]+\.(?:com|org|net|edu|io|gov)\b|\b[\w-]+\.[a-z]{2,3}/", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
                   rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}\b"
                   r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b", re.I)
_AFFILIATION = re.compile(r"\b(?:universit(?:y|é|ät|à|ies)|department|dept\.|faculty|college|institute)\b", re.I)


def _height(b: Box) -> float:
    return b[3] - b[1]


def _same_row(a: Box, b: Box) -> bool:
    """Two boxes sit on one row when their middles are level (a small logo beside a big title is not level)."""
    mid_a, mid_b = (a[1] + a[3]) / 2, (b[1] + b[3]) / 2
    return abs(mid_a - mid_b) < 0.3 * max(_height(a), _height(b))


def _similar_size(a: Box, b: Box) -> bool:
    return max(_height(a), _height(b)) <= 1.5 * min(_height(a), _height(b))


def order_lines(fragments: list[TextLine]) -> list[TextLine]:
    """Fragments grouped into rows (top to bottom), close fragments of a row merged, left to right."""
    rows: list[list[TextLine]] = []
    for frag in sorted(fragments, key=lambda f: (f.box[1] + f.box[3]) / 2):
        for row in rows:
            if _same_row(row[0].box, frag.box):
                row.append(frag)
                break
        else:
            rows.append([frag])
    lines: list[TextLine] = []
    for row in sorted(rows, key=lambda r: min(f.box[1] for f in r)):
        row.sort(key=lambda f: f.box[0])
        current = row[0]
        for frag in row[1:]:
            gap = frag.box[0] - current.box[2]
            # a gap wider than about two letters' height separates columns or a footer's parts
            if gap < 1.5 * max(_height(current.box), _height(frag.box)) and _similar_size(current.box, frag.box):
                current = _merge(current, frag)
            else:
                lines.append(current)
                current = frag
        lines.append(current)
    return lines


def _merge(a: TextLine, b: TextLine) -> TextLine:
    box = (min(a.box[0], b.box[0]), min(a.box[1], b.box[1]), max(a.box[2], b.box[2]), max(a.box[3], b.box[3]))
    return TextLine(f"{a.text} {b.text}", box, min(a.confidence, b.confidence))


def _is_furniture(line: TextLine) -> bool:
    """Footer, page number or a line with hardly a letter: never a title."""
    letters = sum(ch.isalpha() for ch in line.text)
    return line.box[1] >= _FOOTER_TOP or bool(_PAGE_NUMBER.match(line.text)) or letters < 2


def _joined(lines: list[TextLine], first: int) -> str:
    """The line at `first` plus the lines right under it in the same size (a title set on two lines)."""
    head = lines[first]
    parts, last = [head.text], head
    for nxt in lines[first + 1:]:
        size_ok = 0.8 * _height(head.box) <= _height(nxt.box) <= 1.25 * _height(head.box)
        close = nxt.box[1] - last.box[3] < 0.8 * _height(head.box)
        if not (size_ok and close) or _is_furniture(nxt):
            break
        parts.append(nxt.text)
        last = nxt
    return " ".join(p.strip() for p in parts)


def find_title(lines: list[TextLine]) -> str:
    """The slide's title: the tallest line in its upper part, when it stands out or opens the slide."""
    if not lines:
        return ""
    typical = median(_height(line.box) for line in lines)
    best = None
    for i, line in enumerate(lines):
        if _is_furniture(line) or line.box[1] > _TITLE_ZONE:
            continue
        # small text in a corner (a logo, a course code) is not the title even at the top
        if _height(line.box) < 0.8 * typical and (line.box[2] < 0.3 or line.box[0] > 0.7):
            continue
        if best is None or _height(line.box) > 1.1 * _height(lines[best].box):
            best = i
    if best is None:
        return ""
    first_text = next((j for j, line in enumerate(lines) if not _is_furniture(line)), None)
    stands_out = _height(lines[best].box) >= 1.2 * typical
    if not stands_out and best != first_text:
        return ""
    return _joined(lines, best)


def _is_small_print(line: TextLine) -> bool:
    """A date, a web or mail address: printed on a title slide, never the title."""
    text = line.text
    if _URL.search(text):
        return True
    rest = _DATE.sub(" ", text)
    return rest != text and sum(ch.isalpha() for ch in rest) < 3


def _in_corner(line: TextLine) -> bool:
    """Wholly in the top or bottom band and on one side of the middle: where logos, institution names and
    running heads sit."""
    x0, y0, x1, y1 = line.box
    in_band = y1 <= _EDGE_BAND or y0 >= 1 - _EDGE_BAND
    return in_band and (x1 < 0.5 or x0 > 0.5)


def _centred(line: TextLine) -> bool:
    return abs((line.box[0] + line.box[2]) / 2 - 0.5) <= 0.04


def _centred_layout(lines: list[TextLine]) -> bool:
    """A title slide's layout: lines of clearly different widths all centred on the middle (left-aligned
    lines of different widths cannot all be)."""
    widths = sorted(line.box[2] - line.box[0] for line in lines if _centred(line))
    return len(widths) >= 2 and widths[-1] >= 1.2 * widths[0]


def _block(lines: list[TextLine], first: int, usable: set[int]) -> tuple[list[int], str]:
    """The line at `first` with the lines right under it in the same size (at most three lines in all; not an
    institution's line), and their text; "Lecture 1" over "Introduction" reads "Lecture 1: Introduction"."""
    head = lines[first]
    taken, last = [first], head
    for j in range(first + 1, len(lines)):
        if len(taken) == _MAX_BLOCK_LINES or j not in usable:
            break
        nxt = lines[j]
        size_ok = 0.8 * _height(head.box) <= _height(nxt.box) <= 1.25 * _height(head.box)
        close = nxt.box[1] - last.box[3] < 0.8 * _height(head.box)
        if not (size_ok and close) or _AFFILIATION.search(nxt.text):
            break
        taken.append(j)
        last = nxt
    parts = [lines[j].text.strip() for j in taken]
    text = parts[0]
    for part in parts[1:]:
        text += (": " if _LECTURE_ONLY.match(text) else " ") + part
    return taken, text


def _attach(first: str, second: str) -> str:
    return f"{first} {second}" if first.endswith((":", "-", "–", "—")) else f"{first} — {second}"


def _neighbour(lines: list[TextLine], start: int, step: int, skip: set[int]) -> int | None:
    """The nearest line from `start` in direction `step` that is not corner text (a logo beside the title)."""
    j = start
    while 0 <= j < len(lines):
        if j not in skip:
            return j
        j += step
    return None


def prominent_text(lines: list[TextLine]) -> str:
    """A title slide's title, read as a person reads one.

    Never a footer, page number, date or address. On a title slide's centred layout, text in a corner band
    (a logo, an institution's name) is passed over even when it is taller. The title is the tallest line,
    lines within a tenth of its height counting as as tall, the highest of them first (an author's name in
    the same size sits lower). Lines right under it in its size are its second and third lines. A line
    naming the lecture ("Lecture 2: Gradient Descent") just under that block joins it, and a course line
    just over a "Lecture N" title goes in front of it, as the course's name and the lecture's stand on many
    title slides. At most 150 characters."""
    usable = {i for i, line in enumerate(lines) if not _is_furniture(line) and not _is_small_print(line)}
    if not usable:
        return ""
    corner = {i for i in usable if _in_corner(lines[i])}
    open_text = [lines[i] for i in usable - corner]
    pool = usable - corner if open_text and _centred_layout(open_text) else usable
    tallest = max(_height(lines[i].box) for i in pool)
    lead = min((i for i in pool if _height(lines[i].box) >= 0.9 * tallest), key=lambda i: lines[i].box[1])
    lead_h = _height(lines[lead].box)
    taken, title = _block(lines, lead, pool)
    skip = usable - pool

    def lecture_line(j: int | None) -> bool:
        return (j is not None and j in pool and bool(_LECTURE.match(lines[j].text))
                and _height(lines[j].box) >= 0.6 * lead_h and lines[j].box[1] <= _LECTURE_ZONE)

    below = _neighbour(lines, taken[-1] + 1, 1, skip)
    above = _neighbour(lines, lead - 1, -1, skip)
    if lecture_line(below):
        _, more = _block(lines, below, pool)
        title = _attach(title, more)
    elif _LECTURE.match(lines[lead].text) and above is not None and above in pool:
        over = lines[above]
        near = lines[lead].box[1] - over.box[3] < 2 * lead_h
        if near and _height(over.box) >= 0.6 * lead_h and not _AFFILIATION.search(over.text):
            title = _attach(over.text.strip(), title)
    if len(title) > _MAX_TITLE:
        title = title[:_MAX_TITLE].rsplit(" ", 1)[0].rstrip(" —:-,") + "…"
    return title
