"""Checks an answer must pass beyond its schema: slide indexes that exist, the columns asked for, a Mermaid
mindmap that parses. Each failure is a ValueError whose message is fed back to the model on the retry."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from ..errors import HandoutsError
from .schemas import TASKS, CleanedCaptions, KeyPoints, LectureInput, Mindmap, StudyTable, VignetteSet


def _parser():
    # The renderer's parser is the real judge of a diagram; it may not be installed in every checkout.
    try:
        from pipeline.render.mermaid import parse_mindmap
    except ImportError:
        return None
    return parse_mindmap


def check_mindmap_source(text: str) -> None:
    """Raise ValueError when `text` is not a Mermaid mindmap we can render."""
    parse = _parser()
    if parse is not None:
        try:
            parse(text)
        except (ValueError, HandoutsError) as e:
            raise ValueError(f"the Mermaid mindmap does not parse: {e}") from None
        return
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or lines[0].strip() != "mindmap":
        raise ValueError("the Mermaid source must start with the line 'mindmap'")
    nodes = lines[1:]
    if len(nodes) < 2:
        raise ValueError("the mindmap needs a root and at least one node under it")
    for number, line in enumerate(nodes, start=2):
        lead = line[:len(line) - len(line.lstrip())]
        if "\t" in lead:
            raise ValueError(f"line {number} is indented with a tab; use spaces")
        body = line.strip()
        for opening, closing in ("()", "[]", "{}"):
            if body.count(opening) != body.count(closing):
                raise ValueError(f"line {number} has unbalanced {opening}{closing}: {body!r}")
    indents = [len(line) - len(line.lstrip(" ")) for line in nodes]
    if min(indents[1:]) <= indents[0]:
        raise ValueError("the mindmap has more than one root: every node after the first must be indented "
                         "deeper than the root")


def _known_indexes(value_indexes: list[int], lecture: LectureInput, what: str) -> None:
    known = {s.index for s in lecture.slides}
    unknown = sorted(set(value_indexes) - known)
    if unknown:
        raise ValueError(f"{what} refers to index {unknown[:5]} which is not a passage of this lecture "
                         f"(indexes run from {min(known)} to {max(known)})")


def check_answer(task: str, lecture: LectureInput, value: BaseModel) -> BaseModel:
    """The answer, tidied where that is safe; ValueError naming what is wrong otherwise."""
    schema = TASKS[task]
    if not isinstance(value, schema):
        try:
            value = schema.model_validate(value if isinstance(value, dict) else value.model_dump())
        except ValidationError as e:
            raise ValueError(f"the answer does not fit the {task} schema: {e.errors()[0]['msg']}") from None
    known = {s.index for s in lecture.slides}
    if isinstance(value, CleanedCaptions):
        _known_indexes([s.index for s in value.slides], lecture, "a cleaned caption")
    elif isinstance(value, KeyPoints):
        _known_indexes([s.index for s in value.slides], lecture, "a slide's key points")
    elif isinstance(value, StudyTable):
        value.check_shape(lecture.study_columns or None)
        if lecture.study_columns:
            value.columns = list(lecture.study_columns)     # the requested spelling, not the model's casing
        if not value.rows:
            raise ValueError("the study table has no rows")
        # Row -> slide links only place pictures; a wrong one is dropped rather than failing the table.
        for row in value.rows:
            row.slides = [i for i in row.slides if i in known]
    elif isinstance(value, VignetteSet):
        for q in value.questions:
            q.slides = [i for i in q.slides if i in known]
    elif isinstance(value, Mindmap):
        check_mindmap_source(value.mermaid)
    return value
