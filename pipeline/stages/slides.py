"""Stage 3: every distinct slide, with the time spans it was on screen."""

from __future__ import annotations

from ..context import StageContext
from ..slides import detect_slides


def run(ctx: StageContext) -> dict:
    """Find the slides, store one image per distinct slide."""
    video = ctx.local(ctx.outputs["fetch"]["video_key"])
    out_dir = ctx.workdir / "slides"
    out_dir.mkdir(parents=True, exist_ok=True)
    showings = detect_slides(video, out_dir, progress=ctx.progress, cancel_check=ctx.check_cancel)
    images: dict[str, str] = {}
    for sh in showings:
        if sh.image not in images:
            images[sh.image] = ctx.save_artifact(out_dir / sh.image, "slide", sh.image, "image/png")["storage_key"]
    return {"showings": [sh.to_json() for sh in showings], "images": images}
