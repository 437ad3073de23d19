"""From boxes an OCR engine found to a slide's text: lines in reading order, and which of them is the title.

Engines return fragments (a word group, a line, sometimes half a line). Fragments whose vertical extents
overlap are one row; fragments of a row that stand close together are one line. The title is found by
position and size, as a reader finds it: the largest text near the top, never a footer, page number or a
logo line (small text in a corner).
"""

from __future__ import annotations

import re
from statistics import median

from ..types import Box, TextLine

_FOOTER_TOP = 0.88        # a line starting below this fraction of the height is footer territory
_TITLE_ZONE = 0.45        # a slide's title starts in the upper part of the slide
_PAGE_NUMBER = re.compile(r"^\s*(?:(?:slide|page|p\.?)\s*)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?\s*$", re.I)


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


def prominent_text(lines: list[TextLine]) -> str:
    """The most prominent text anywhere on a slide (a title slide centres its title): the tallest real line."""
    candidates = [i for i, line in enumerate(lines) if not _is_furniture(line)]
    if not candidates:
        return ""
    best = max(candidates, key=lambda i: (round(_height(lines[i].box), 3), -lines[i].box[1]))
    return _joined(lines, best)
