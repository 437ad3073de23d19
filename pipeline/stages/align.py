"""Stage 4: give every caption to the slide on screen when it was spoken."""

from __future__ import annotations

from ..align import align
from ..context import StageContext
from ..types import Cue, Showing


def run(ctx: StageContext) -> dict:
    """Pair captions with slides; no caption is dropped."""
    showings = [Showing.from_json(d) for d in ctx.outputs["slides"]["showings"]]
    cues = [Cue.from_json(d) for d in ctx.outputs["captions"]["cues"]]
    aligned = align(showings, cues)
    return {"showings": [sh.to_json() for sh in aligned]}
