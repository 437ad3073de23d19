"""Key points: the best-ranked whole sentences of the lecture, and of each slide, without near-duplicates.

A key point is a complete sentence as the lecturer said it: not a piece of a run-on cut for ranking, not one
picked up mid-way, not one about the lecture itself. A slide whose caption is only a sentence or two gets no
points of its own: they would repeat its caption word for word.
"""

from __future__ import annotations

from ..schemas import KeyPoints, SlidePoints
from .analysis import Analysis
from .rank import META, select, tidy_point
from .text import Sentence

MIN_LECTURE_POINTS = 3
MAX_LECTURE_POINTS = 7
MIN_POINT_WORDS = 4
MIN_SLIDE_SENTENCES = 3     # fewer, and the slide's points would be its caption again


def lecture_point_count(n_sentences: int) -> int:
    """3 to 7 points, more for longer lectures."""
    return max(MIN_LECTURE_POINTS, min(MAX_LECTURE_POINTS, 2 + n_sentences // 8))


def slide_point_count(n_sentences: int) -> int:
    """1 point for a short passage, up to 3 for a long one."""
    return 1 if n_sentences <= 3 else (2 if n_sentences <= 8 else 3)


def _whole(s: Sentence) -> bool:
    """A sentence fit to be a point on its own (see the module's docstring)."""
    return (not s.forced and s.n_words >= MIN_POINT_WORDS and s.text.rstrip().endswith((".", "!"))
            and not s.text[:1].islower() and not META.search(s.text))


def lecture_points(a: Analysis) -> list[int]:
    """Sentence indexes of the lecture's key points, in lecture order."""
    usable = [s.order for s in a.sentences if _whole(s)] or [s.order for s in a.sentences
                                                               if s.n_words >= MIN_POINT_WORDS]
    chosen = select(usable, a.scores, a.similarity, lecture_point_count(len(a.sentences)), a.sentences,
                    spread=True)
    return sorted(chosen)


def slide_points(a: Analysis, index: int) -> list[int]:
    """Sentence indexes of one showing's key points, in the order they were said."""
    own = a.slide_sentences(index)
    if len(own) < MIN_SLIDE_SENTENCES:
        return []
    usable = [s.order for s in own if _whole(s)]
    return sorted(select(usable, a.scores, a.similarity, slide_point_count(len(own)), a.sentences))


def key_points(a: Analysis) -> KeyPoints:
    """The KeyPoints answer: lecture points and 1–3 points per showing that has speech."""
    lecture = _unique(tidy_point(a.sentences[i].text) for i in lecture_points(a))
    slides = [SlidePoints(index=s.index, points=_unique(tidy_point(a.sentences[i].text)
                                                        for i in slide_points(a, s.index)))
              for s in a.lecture.slides]
    return KeyPoints(lecture=lecture, slides=slides)


def _unique(points) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for p in points:
        if p and p.lower() not in seen:
            seen.add(p.lower())
            out.append(p)
    return out
