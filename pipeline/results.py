"""Typed stage results: what each stage's checkpoint holds, read back through these models.

Stages may return one of these models or a plain dict of the same shape; the runner stores it as JSON. Readers
(the next stages, `job_summary`, retries) parse a checkpoint with `result_of(job, stage)`. Unknown keys are kept,
so a checkpoint written by a newer version still reads.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StageResult(BaseModel):
    """A stage's checkpoint."""

    model_config = ConfigDict(extra="allow")


class FetchResult(StageResult):
    video_key: str | None = None
    sha256: str | None = None
    size: int | None = None
    kind: str | None = None                 # file | http | hls | panopto
    original_name: str | None = None
    media: dict[str, Any] = Field(default_factory=dict)   # pipeline.types.MediaInfo as JSON
    captions_key: str | None = None
    title: str | None = None
    session_title: str | None = None        # a Panopto session's own name
    audio_key: str | None = None            # the voice, when a platform serves it apart from the slides' stream
    audio_media: dict[str, Any] | None = None
    captions_source: str | None = None      # the platform's own captions came with the recording (panopto)
    slides_source: str | None = None        # the platform's own slide times came with it (panopto)
    panopto_slides: list[dict[str, Any]] = Field(default_factory=list)   # {start, end, key} per slide
    panopto: dict[str, Any] | None = None   # the session's facts (host, id, name, date, streams, languages)

    @property
    def duration(self) -> float | None:
        d = self.media.get("duration")
        return float(d) if d is not None else None


class CaptionsResult(StageResult):
    source: str = "none"
    cues: list[dict[str, Any]] = Field(default_factory=list)
    machine: bool = False                   # heard by speech recognition rather than written by people
    recogniser: str | None = None


class SlidesResult(StageResult):
    showings: list[dict[str, Any]] = Field(default_factory=list)
    images: dict[str, str] = Field(default_factory=dict)
    deck_title: str | None = None
    source: str = "finder"                  # finder | panopto (the platform's own slide times)


class AlignResult(StageResult):
    showings: list[dict[str, Any]] = Field(default_factory=list)


class StudyResult(StageResult):
    skipped: bool = False
    engine: str | None = None
    profile: str | None = None
    results: dict[str, Any] = Field(default_factory=dict)
    missing: dict[str, str] = Field(default_factory=dict)
    title: str | None = None


class RenderResult(StageResult):
    artifacts: list[str] = Field(default_factory=list)
    title: str | None = None


RESULTS: dict[str, type[StageResult]] = {"fetch": FetchResult, "captions": CaptionsResult, "slides": SlidesResult,
                                         "align": AlignResult, "study": StudyResult, "render": RenderResult}


STAGE_OF: dict[type[StageResult], str] = {model: stage for stage, model in RESULTS.items()}


def parse_result(stage: str, output: dict | None) -> StageResult:
    """A checkpoint as its stage's typed result (a stage this module does not know reads as StageResult)."""
    return RESULTS.get(stage, StageResult).model_validate(output or {})


def as_checkpoint(value: BaseModel | dict | None) -> dict:
    """What the runner stores for a stage's return value."""
    if value is None:
        return {}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    return dict(value)
