"""Stage 4: give every caption to the slide on screen when it was spoken."""

from __future__ import annotations

from ..align import align
from ..context import StageContext
from ..results import AlignResult, CaptionsResult, SlidesResult
from ..types import Cue, Showing


def run(ctx: StageContext) -> AlignResult:
    """Pair captions with slides; no caption is dropped."""
    showings = [Showing.from_json(d) for d in ctx.result(SlidesResult).showings]
    cues = [Cue.from_json(d) for d in ctx.result(CaptionsResult).cues]
    aligned = align(showings, cues)
    return AlignResult(showings=[sh.to_json() for sh in aligned])
