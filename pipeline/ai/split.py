"""Splitting a transcript too large for one request into parts by slide, and merging the parts' answers per task.

Nothing is dropped: a part holds whole slides, and a single slide longer than a part is cut between sentences
into pieces that keep its index, so merged answers still line up with the lecture's slides.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel

from .images import SlideImage
from .schemas import CleanedCaptions, KeyPoints, LectureInput, SlideInput, SlidePoints, SlideText, StudyRow, \
    StudyTable, VignetteSet

CHARS_PER_TOKEN = 4             # rough for English; the budget leaves room for error
PASSAGE_OVERHEAD_TOKENS = 8     # the [#N m:ss-m:ss] marker and blank line around each passage
LECTURE_POINTS_CAP = 12         # what the key_points prompt asks for at most
MERGEABLE = ("clean_captions", "key_points", "study_table", "vignettes")
"""Tasks whose parts' answers are merged; title and mindmap run once on a digest of the key points instead."""

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def estimate_tokens(text: str) -> int:
    """Tokens in `text`, estimated at four characters each."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def slide_tokens(slide: SlideInput) -> int:
    """What one passage costs in a prompt, marker included."""
    return estimate_tokens(slide.text.strip()) + PASSAGE_OVERHEAD_TOKENS if slide.text.strip() else 0


def lecture_tokens(lecture: LectureInput) -> int:
    """What the whole transcript costs in a prompt."""
    return sum(slide_tokens(s) for s in lecture.slides)


def _pieces(text: str, max_chars: int) -> list[str]:
    """`text` cut into pieces of at most `max_chars`, between sentences where possible, else between words."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text.strip()):
        while len(sentence) > max_chars:        # one endless sentence (ASR often has no full stops)
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


@dataclass(frozen=True)
class ImageBudget:
    """What the slide pictures of one request may cost: tokens per picture, and the endpoint's limits."""

    tokens: Callable[[SlideImage], int]
    max_images: int
    max_bytes: int


def _picture(slide: SlideInput, lecture: LectureInput, images: ImageBudget | None) -> SlideImage | None:
    return lecture.images.get(slide.image) if images is not None and slide.image else None


def request_tokens(lecture: LectureInput, images: ImageBudget | None = None) -> int:
    """What the transcript costs in one request: its passages, and each distinct picture once."""
    total = lecture_tokens(lecture)
    if images is not None:
        seen = {s.image for s in lecture.slides if s.image in lecture.images}
        total += sum(images.tokens(lecture.images[name]) for name in seen)
    return total


def fits(lecture: LectureInput, budget_tokens: int, images: ImageBudget | None = None) -> bool:
    """Whether the whole lecture fits one request: tokens, and the number and bytes of its pictures."""
    if request_tokens(lecture, images) > budget_tokens:
        return False
    if images is None:
        return True
    names = {s.image for s in lecture.slides if s.image in lecture.images}
    return (len(names) <= images.max_images
            and sum(lecture.images[n].encoded_bytes for n in names) <= images.max_bytes)


def split_lecture(lecture: LectureInput, budget_tokens: int, images: ImageBudget | None = None) -> list[LectureInput]:
    """The lecture as parts that each fit `budget_tokens` (and the picture limits); one part when it already fits.

    A picture is counted in the part where its slide first appears; a later part showing the slide again
    carries (and pays for) the picture again."""
    if budget_tokens < 50:
        raise ValueError(f"a part budget of {budget_tokens} tokens is too small to hold a passage")
    if fits(lecture, budget_tokens, images):
        return [lecture]
    max_chars = (budget_tokens - PASSAGE_OVERHEAD_TOKENS) * CHARS_PER_TOKEN
    parts: list[list[SlideInput]] = []
    current: list[SlideInput] = []
    used = pictures = picture_bytes = 0
    seen: set[str] = set()
    for slide in lecture.slides:
        pieces = ([slide] if slide_tokens(slide) <= budget_tokens else
                  [slide.model_copy(update={"text": t}) for t in _pieces(slide.text, max_chars)])
        for piece in pieces:
            picture = _picture(piece, lecture, images)
            new_picture = picture is not None and picture.name not in seen
            cost = slide_tokens(piece) + (images.tokens(picture) if new_picture else 0)  # type: ignore[union-attr]
            over = used + cost > budget_tokens or (new_picture and (
                pictures + 1 > images.max_images  # type: ignore[union-attr]
                or picture_bytes + picture.encoded_bytes > images.max_bytes))  # type: ignore[union-attr]
            if current and over:
                parts.append(current)
                current, used, pictures, picture_bytes, seen = [], 0, 0, 0, set()
                new_picture = picture is not None
                cost = slide_tokens(piece) + (images.tokens(picture) if new_picture else 0)  # type: ignore[union-attr]
            if new_picture:
                seen.add(picture.name)  # type: ignore[union-attr]
                pictures += 1
                picture_bytes += picture.encoded_bytes  # type: ignore[union-attr]
            current.append(piece)
            used += cost
    if current:
        parts.append(current)
    return [lecture.model_copy(update={"slides": slides}) for slides in parts]


# ---- merging ---------------------------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def merge_clean_captions(parts: list[CleanedCaptions]) -> CleanedCaptions:
    """Slides in order; pieces of one slide cut across parts are joined back."""
    by_index: dict[int, list[str]] = {}
    for part in parts:
        for s in part.slides:
            by_index.setdefault(s.index, []).append(s.text.strip())
    return CleanedCaptions(slides=[SlideText(index=i, text=" ".join(t for t in texts if t))
                                   for i, texts in by_index.items()])


def merge_key_points(parts: list[KeyPoints], cap: int = LECTURE_POINTS_CAP) -> KeyPoints:
    """Slide points joined per slide; lecture points taken in turn from each part, without repeats, capped."""
    by_index: dict[int, list[str]] = {}
    for part in parts:
        for s in part.slides:
            by_index.setdefault(s.index, []).extend(p for p in s.points if p.strip())
    lecture: list[str] = []
    seen: set[str] = set()
    # Round-robin so the cap keeps each part's most important points, not just the first part's.
    for rank in range(max((len(p.lecture) for p in parts), default=0)):
        for part in parts:
            if rank < len(part.lecture) and len(lecture) < cap:
                point = part.lecture[rank].strip()
                if point and _norm(point) not in seen:
                    seen.add(_norm(point))
                    lecture.append(point)
    return KeyPoints(lecture=lecture or [parts[0].lecture[0]],
                     slides=[SlidePoints(index=i, points=_dedupe(points)) for i, points in by_index.items()])


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if _norm(item) not in seen:
            seen.add(_norm(item))
            out.append(item)
    return out


def merge_study_tables(parts: list[StudyTable]) -> StudyTable:
    """Rows in order under the first part's columns; a topic that recurs in a later part is folded into its row."""
    columns = parts[0].columns
    rows: list[StudyRow] = []
    by_topic: dict[str, StudyRow] = {}
    for part in parts:
        for row in part.rows:
            topic = _norm(row.cells[0]) if row.cells else ""
            earlier = by_topic.get(topic) if topic else None
            if earlier is None:
                row = row.model_copy(deep=True)
                rows.append(row)
                if topic:
                    by_topic[topic] = row
                continue
            for k, cell in enumerate(row.cells[1:], start=1):
                old = earlier.cells[k] if k < len(earlier.cells) else ""
                if _norm(cell) and _norm(cell) not in _norm(old):
                    earlier.cells[k] = cell if _norm(old) in ("", "—") else f"{old}; {cell}"
            earlier.slides = sorted(set(earlier.slides) | set(row.slides))
    return StudyTable(columns=columns, rows=rows)


def merge_vignettes(parts: list[VignetteSet]) -> VignetteSet:
    """Objectives without repeats, questions in order."""
    return VignetteSet(objectives=_dedupe([o for p in parts for o in p.objectives]),
                       questions=[q for p in parts for q in p.questions])


def merge(task: str, parts: list[BaseModel]) -> BaseModel:
    """The parts' answers to `task` as one answer."""
    if len(parts) == 1:
        return parts[0]
    mergers = {"clean_captions": merge_clean_captions, "key_points": merge_key_points,
               "study_table": merge_study_tables, "vignettes": merge_vignettes}
    if task not in mergers:
        raise ValueError(f"task '{task}' is not merged from parts; run it on a digest of the key points")
    return mergers[task](parts)  # type: ignore[arg-type]


def digest_lecture(lecture: LectureInput, points: KeyPoints, budget_tokens: int) -> LectureInput:
    """A short stand-in for a long lecture: each slide's key points, or the lecture's when even that is too long."""
    texts = {s.index: " ".join(s.points) for s in points.slides if s.points}
    slides = [s.model_copy(update={"text": texts[s.index], "repeat_of": None})
              for s in lecture.slides if s.index in texts]
    # Pieces of one slide share its index; keep the first so the digest has each slide once.
    unique: dict[int, SlideInput] = {}
    for s in slides:
        unique.setdefault(s.index, s)
    digest = lecture.model_copy(update={"slides": list(unique.values())})
    if unique and lecture_tokens(digest) <= budget_tokens:
        return digest
    first, last = lecture.slides[0], lecture.slides[-1]
    overview = SlideInput(index=first.index, start=first.start, end=last.end, text=" ".join(points.lecture))
    return lecture.model_copy(update={"slides": [overview]})
