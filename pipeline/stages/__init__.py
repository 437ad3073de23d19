"""The one list of stages, in order; each is a function over a StageContext returning a JSON checkpoint."""

from __future__ import annotations

from ..context import StageDef
from . import align, captions, fetch, render, slides, study


STAGES: tuple[StageDef, ...] = (
    StageDef("fetch", fetch.run, 15),
    StageDef("captions", captions.run, 30),
    StageDef("slides", slides.run, 35),
    StageDef("align", align.run, 2),
    StageDef("study", study.run, 10),
    StageDef("render", render.run, 12),
)


