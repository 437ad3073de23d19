"""What every AI task takes and returns: the contract both engines (OpenAI and offline) fill.

These are the answers as stored and rendered. What a model is asked to produce is a per-lecture JSON schema
built from the lecture (pipeline/ai/wire.py), which carries the constraints these models check afterwards.

One numbering: a slide is cited by the number the handout prints on it (new slides count up from 1, a return
to a slide keeps its number). Passage indexes (0-based, one per showing) only key per-showing answers
(cleaned captions, a showing's key points).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .images import SlideImage

LETTERS = ("A", "B", "C", "D", "E")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- inputs ----------------------------------------------------------------------------------------------------

class SlideInput(_Strict):
    """One showing of a slide as the AI tasks see it."""

    index: int = Field(description="0-based index of the showing in the lecture")
    start: float
    end: float
    text: str = Field(description="what was said while the slide was on screen")
    repeat_of: int | None = None
    number: int | None = Field(None, description="the slide's number as the handout prints it; filled from "
                                                 "repeat_of by LectureInput when not given")
    slide_title: str = Field("", description="the title read off the slide image (OCR), if any")
    slide_text: str = Field("", description="every line read off the slide image (OCR), if any")
    image: str = Field("", description="the slide image's file name, shared by every showing of one slide")


class LectureInput(_Strict):
    """The lecture handed to every task."""

    title_hint: str = ""
    language: str = "en"
    slides: list[SlideInput]
    study_columns: list[str] = Field(default_factory=list)
    vignette_style: Literal["applied", "clinical"] = "applied"
    images: dict[str, SlideImage] = Field(
        default_factory=dict, exclude=True,
        description="the slide pictures a model may be shown, by file name (SlideInput.image); never dumped: "
                    "the cache key names them by their hashes")

    @model_validator(mode="after")
    def _number_slides(self) -> "LectureInput":
        # The handout's rule (pipeline/render/text.py slide_numbers): a revisit takes its original's number.
        if any(s.number is None for s in self.slides):
            by_index: dict[int, int] = {}
            next_number = 1
            for s in self.slides:
                if s.number is None:
                    original = by_index.get(s.repeat_of) if s.repeat_of is not None else None
                    if original is None:
                        original, next_number = next_number, next_number + 1
                    s.number = original
                else:
                    next_number = max(next_number, s.number + 1)
                by_index.setdefault(s.index, s.number)
        return self

    def slide_numbers(self) -> list[int]:
        """The distinct slide numbers of the lecture, ascending: the only numbers an answer may cite."""
        return sorted({s.number for s in self.slides if s.number is not None})

    def spoken_indexes(self) -> list[int]:
        """The passage indexes that carry speech, in order: the only ones a per-passage answer may name."""
        return list(dict.fromkeys(s.index for s in self.slides if s.text.strip()))

    def number_of(self, index: int) -> int | None:
        """The slide number of a passage index (None when the lecture has no such passage)."""
        return next((s.number for s in self.slides if s.index == index), None)

    def transcript(self) -> str:
        """The whole talk, slide by slide, for prompts."""
        return "\n\n".join(f"[slide {s.number}] {s.text.strip()}" for s in self.slides if s.text.strip())


# ---- outputs ---------------------------------------------------------------------------------------------------

class SlideText(_Strict):
    index: int
    text: str


class CleanedCaptions(_Strict):
    """Captions per showing with fillers, false starts and recognition errors fixed; meaning kept."""

    slides: list[SlideText]


class LectureTitle(_Strict):
    title: str = Field(min_length=1, max_length=200)

    @field_validator("title")
    @classmethod
    def _one_line(cls, v: str) -> str:
        v = " ".join(v.split()).strip(" \"'")
        if not v:
            raise ValueError("the title is empty")
        return v


class SlidePoints(_Strict):
    index: int
    points: list[str]


class KeyPoints(_Strict):
    """The lecture's main points, and each slide's."""

    lecture: list[str] = Field(min_length=1)
    slides: list[SlidePoints]


class StudyRow(_Strict):
    cells: list[str] = Field(description="one cell per column, in column order; may use **bold**")
    slides: list[int] = Field(default_factory=list, description="the slide numbers this row draws on")


class StudyTable(_Strict):
    """A study table: one row per topic (or disease, under the medical profile)."""

    columns: list[str] = Field(min_length=1)
    rows: list[StudyRow]

    def check_shape(self, expected_columns: list[str] | None = None) -> None:
        """Raise ValueError when a row does not fit the columns, or the columns are not the ones asked for.

        The columns may leave out some requested ones after the first, in order: an engine that cannot fill a
        column (the offline one) leaves it out rather than print it empty in every row."""
        asked = [c.strip().lower() for c in expected_columns or []]
        given = [c.strip().lower() for c in self.columns]
        rest = iter(asked[1:])
        in_order = bool(given) and bool(asked) and given[0] == asked[0] and all(c in rest for c in given[1:])
        if expected_columns and not in_order:
            unknown = [c for c in self.columns if c.strip().lower() not in {e.lower() for e in expected_columns}]
            raise ValueError(f"columns {self.columns} are not the requested {expected_columns}"
                             + (f" (unknown: {unknown})" if unknown else ""))
        for i, row in enumerate(self.rows):
            if len(row.cells) != len(self.columns):
                raise ValueError(f"row {i + 1} has {len(row.cells)} cells for {len(self.columns)} columns")


class Choice(_Strict):
    letter: Literal["A", "B", "C", "D", "E"]
    text: str


class Vignette(_Strict):
    """One multiple-choice question built on a short scenario."""

    objective: str = Field(description="the learning objective it tests")
    stem: str = Field(description="the scenario (clinical under the medical profile)")
    question: str
    choices: list[Choice] = Field(min_length=5, max_length=5)
    answer: Literal["A", "B", "C", "D", "E"]
    explanation: str
    difficulty: Literal["easy", "medium", "hard"]
    slides: list[int] = Field(default_factory=list, description="the slide numbers it draws on")

    @field_validator("choices")
    @classmethod
    def _letters_in_order(cls, v: list[Choice]) -> list[Choice]:
        if [c.letter for c in v] != list(LETTERS):
            raise ValueError("choices must be lettered A, B, C, D, E in that order")
        return v


class VignetteSet(_Strict):
    objectives: list[str] = Field(min_length=1)
    questions: list[Vignette] = Field(min_length=1)


class MindmapTopic(_Strict):
    """One node of the mindmap: a short phrase and the topics under it."""

    text: str = Field(min_length=1, max_length=120)
    children: list["MindmapTopic"] = Field(default_factory=list)


class Mindmap(_Strict):
    """The lecture's mindmap as a tree; Mermaid, SVG and HTML are rendered from it (pipeline.mindmap_tree)."""

    root: MindmapTopic


TASKS: dict[str, type[BaseModel]] = {
    "clean_captions": CleanedCaptions,
    "title": LectureTitle,
    "key_points": KeyPoints,
    "study_table": StudyTable,
    "vignettes": VignetteSet,
    "mindmap": Mindmap,
}
"""Every AI task by name, with the schema its answer must fit."""
