"""Near-duplicates: two questions, rows, points or facts a student would read as the same thing.

A JSON schema cannot forbid repeats, so every answer (from either engine) passes through these after it is
checked. Two texts are alike when their words, case, punctuation and Markdown aside, are the same, or when
they share nearly all their content words (Jaccard >= NEAR).
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
NEAR = 0.8
_PIECE_END = re.compile(r"(?<=[.!?;])\s+")
_SMALL = frozenset("a an the of to in on and or is are be by for with as at it its this that".split())


def words(text: str) -> list[str]:
    """The words of a text in lower case, without Markdown or punctuation."""
    return re.findall(r"\w+", re.sub(r"[*_`]", "", text).casefold())


def _content(text: str) -> frozenset[str]:
    found = words(text)
    return frozenset(w for w in found if w not in _SMALL) or frozenset(found)


def alike(a: str, b: str) -> bool:
    """Whether two texts say the same thing in (nearly) the same words."""
    wa, wb = words(a), words(b)
    if wa == wb:
        return True
    ca, cb = _content(a), _content(b)
    if not ca or not cb:
        return False
    return len(ca & cb) / len(ca | cb) >= NEAR


def unique(items: Iterable[T], key: Callable[[T], str] = str) -> list[T]:  # type: ignore[assignment]
    """`items` in order, each dropped when it is alike an earlier one."""
    kept: list[T] = []
    texts: list[str] = []
    for item in items:
        text = key(item)
        if not words(text):
            continue
        if any(alike(text, seen) for seen in texts):
            continue
        kept.append(item)
        texts.append(text)
    return kept


def unique_cell(cell: str) -> str:
    """A table cell with each sentence or '; '-separated fact said once, in order."""
    pieces = [p for p in _PIECE_END.split(cell.strip()) if p.strip()]
    if len(pieces) < 2:
        return cell.strip()
    kept = unique(pieces, key=lambda p: p.rstrip(";"))
    out = " ".join(kept).strip()
    return out[:-1] if out.endswith(";") else out
