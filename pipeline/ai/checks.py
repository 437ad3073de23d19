"""Checks an answer must pass beyond its schema: passages that exist, slide numbers the handout prints, the
columns asked for, and no repeats. What can be tidied is tidied; what cannot is a ValueError whose message is
fed back to the model on the retry."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from ..mindmap_tree import MAX_JSON_DEPTH
from .dedupe import alike, unique, unique_cell, words
from .schemas import TASKS, CleanedCaptions, KeyPoints, LectureInput, Mindmap, MindmapTopic, StudyTable, VignetteSet


def _known_indexes(value_indexes: list[int], lecture: LectureInput, what: str) -> None:
    known = {s.index for s in lecture.slides}
    unknown = sorted(set(value_indexes) - known)
    if unknown:
        raise ValueError(f"{what} refers to passage {unknown[:5]} which is not a passage of this lecture "
                         f"(passages run from {min(known)} to {max(known)})")


def _known_numbers(numbers: list[int], lecture: LectureInput) -> list[int]:
    """Slide numbers the handout prints, in order, each once; a number it does not print is dropped."""
    known = set(lecture.slide_numbers())
    return sorted({n for n in numbers if n in known})


def _tidy_table(table: StudyTable, lecture: LectureInput) -> None:
    for row in table.rows:
        row.cells = [unique_cell(c) for c in row.cells]
        row.slides = _known_numbers(row.slides, lecture)
    # Identical rows, or two rows on the same topic, become one row that keeps both rows' slides.
    kept: list = []
    for row in table.rows:
        twin = next((k for k in kept if all(alike(a, b) or (not words(a) and not words(b))
                                            for a, b in zip(k.cells, row.cells))
                     or (words(k.cells[0]) and words(k.cells[0]) == words(row.cells[0]))), None)
        if twin is None:
            kept.append(row)
            continue
        for n, (old, new) in enumerate(zip(twin.cells, row.cells)):
            if words(new) and not alike(old, new) and n > 0:
                twin.cells[n] = unique_cell(f"{old.rstrip('.; ')}; {new}" if words(old) else new)
        twin.slides = sorted(set(twin.slides) | set(row.slides))
    table.rows = [r for r in kept if any(words(c) for c in r.cells[1:]) or len(r.cells) == 1]


def _question_text(q) -> str:
    return f"{q.stem} {q.question}"


def _tidy_questions(value: VignetteSet, lecture: LectureInput) -> None:
    value.objectives = unique(value.objectives)
    usable = []
    for q in value.questions:
        q.slides = _known_numbers(q.slides, lecture)
        if len(unique(c.text for c in q.choices)) < len(q.choices):
            continue        # two options alike: the question cannot be answered fairly
        usable.append(q)
    kept: list = []
    for q in usable:
        right = next(c.text for c in q.choices if c.letter == q.answer)
        if any(alike(_question_text(q), _question_text(k)) or alike(q.stem, k.stem) and
               alike(right, next(c.text for c in k.choices if c.letter == k.answer)) for k in kept):
            continue
        kept.append(q)
    if not kept:
        raise ValueError("no usable question: each had two options alike or repeated another question")
    value.questions = kept


def _tidy_tree(node: MindmapTopic, depth: int = 0) -> None:
    node.text = " ".join(node.text.split())
    node.children = [c for c in unique(node.children, key=lambda c: c.text)
                     if c.text.strip()] if depth < MAX_JSON_DEPTH else []
    for child in node.children:
        _tidy_tree(child, depth + 1)


def check_answer(task: str, lecture: LectureInput, value: BaseModel) -> BaseModel:
    """The answer, tidied where that is safe (repeats dropped, stray slide numbers removed); ValueError naming
    what is wrong otherwise. The schema sent to the model already rules most of these out; this is the
    second line, and the only one for the offline engine."""
    schema = TASKS[task]
    if not isinstance(value, schema):
        try:
            value = schema.model_validate(value if isinstance(value, dict) else value.model_dump())
        except ValidationError as e:
            raise ValueError(f"the answer does not fit the {task} schema: {e.errors()[0]['msg']}") from None
    if isinstance(value, CleanedCaptions):
        _known_indexes([s.index for s in value.slides], lecture, "a cleaned caption")
    elif isinstance(value, KeyPoints):
        _known_indexes([s.index for s in value.slides], lecture, "a slide's key points")
        value.lecture = unique(value.lecture)
        if not value.lecture:
            raise ValueError("the lecture's key points are empty")
        for sp in value.slides:
            sp.points = unique(sp.points)
    elif isinstance(value, StudyTable):
        value.check_shape(lecture.study_columns or None)
        if lecture.study_columns:       # the requested spelling, not the model's casing
            spelled = {c.strip().lower(): c for c in lecture.study_columns}
            value.columns = [spelled[c.strip().lower()] for c in value.columns]
        _tidy_table(value, lecture)
        if not value.rows:
            raise ValueError("the study table has no rows")
    elif isinstance(value, VignetteSet):
        _tidy_questions(value, lecture)
    elif isinstance(value, Mindmap):
        _tidy_tree(value.root)
    return value
