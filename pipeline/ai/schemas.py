"""What every AI task takes and returns: the contract both engines (OpenAI and offline) fill.

Models are strict-JSON-schema friendly (no free-form dicts), so OpenAI structured outputs can use them as they are.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class LectureInput(_Strict):
    """The lecture handed to every task."""

    title_hint: str = ""
    language: str = "en"
    slides: list[SlideInput]
    study_columns: list[str] = Field(default_factory=list)
    vignette_style: Literal["applied", "clinical"] = "applied"

    def transcript(self) -> str:
        """The whole talk, slide by slide, for prompts."""
        return "\n\n".join(f"[slide {s.index + 1}] {s.text.strip()}" for s in self.slides if s.text.strip())


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
    slides: list[int] = Field(default_factory=list, description="0-based showing indexes this row draws on")


class StudyTable(_Strict):
    """A study table: one row per topic (or disease, under the medical profile)."""

    columns: list[str] = Field(min_length=1)
    rows: list[StudyRow]

    def check_shape(self, expected_columns: list[str] | None = None) -> None:
        """Raise ValueError when a row does not fit the columns, or the columns are not the ones asked for."""
        if expected_columns and [c.strip().lower() for c in self.columns] != [c.strip().lower()
                                                                          for c in expected_columns]:
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
    slides: list[int] = Field(default_factory=list)

    @field_validator("choices")
    @classmethod
    def _letters_in_order(cls, v: list[Choice]) -> list[Choice]:
        if [c.letter for c in v] != list(LETTERS):
            raise ValueError("choices must be lettered A, B, C, D, E in that order")
        return v


class VignetteSet(_Strict):
    objectives: list[str] = Field(min_length=1)
    questions: list[Vignette] = Field(min_length=1)


class Mindmap(_Strict):
    """A Mermaid `mindmap` diagram of the lecture."""

    mermaid: str = Field(description="Mermaid source starting with the line 'mindmap'")


TASKS: dict[str, type[BaseModel]] = {
    "clean_captions": CleanedCaptions,
    "title": LectureTitle,
    "key_points": KeyPoints,
    "study_table": StudyTable,
    "vignettes": VignetteSet,
    "mindmap": Mindmap,
}
"""Every AI task by name, with the schema its answer must fit."""
