"""Key points: the best-ranked whole sentences of the lecture, and of each slide, without near-duplicates."""

from __future__ import annotations

from ..schemas import KeyPoints, SlidePoints
from .analysis import Analysis
from .rank import select, tidy_point

MIN_LECTURE_POINTS = 3
MAX_LECTURE_POINTS = 7
MIN_POINT_WORDS = 4


def lecture_point_count(n_sentences: int) -> int:
    """3 to 7 points, more for longer lectures."""
    return max(MIN_LECTURE_POINTS, min(MAX_LECTURE_POINTS, 2 + n_sentences // 8))


def slide_point_count(n_sentences: int) -> int:
    """1 point for a short passage, up to 3 for a long one."""
    return 1 if n_sentences <= 3 else (2 if n_sentences <= 8 else 3)


def lecture_points(a: Analysis) -> list[int]:
    """Sentence indexes of the lecture's key points, in lecture order."""
    usable = [s.order for s in a.sentences if s.n_words >= MIN_POINT_WORDS] or [s.order for s in a.sentences]
    chosen = select(usable, a.scores, a.similarity, lecture_point_count(len(a.sentences)), a.sentences,
                    spread=True)
    return sorted(chosen)


def slide_points(a: Analysis, index: int) -> list[int]:
    """Sentence indexes of one showing's key points, in the order they were said."""
    own = a.slide_sentences(index)
    usable = [s.order for s in own if s.n_words >= MIN_POINT_WORDS] or [s.order for s in own]
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
