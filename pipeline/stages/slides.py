"""Stage 3: every distinct slide, with the time spans it was on screen and the text written on it."""

from __future__ import annotations

from ..context import StageContext
from ..slides import detect_slides
from ..slides.ocr import OcrOptions, OcrUnavailable, attach_text, deck_title, read_slides

_FIND_SHARE = 0.85  # of this stage's progress; reading the slides' text is the rest


def run(ctx: StageContext) -> dict:
    """Find the slides, read their text, store one image per distinct slide.

    Output: `showings` (Showing.to_json each, with `slide_text` when it was read), `images` (file name ->
    storage key) and `deck_title` (the opening slide's most prominent text, "" when there is none).
    """
    video = ctx.local(ctx.outputs["fetch"]["video_key"])
    out_dir = ctx.workdir / "slides"
    out_dir.mkdir(parents=True, exist_ok=True)
    showings = detect_slides(video, out_dir, progress=lambda f, m="": ctx.progress(_FIND_SHARE * f, m),
                             cancel_check=ctx.check_cancel)
    _read_text(ctx, out_dir, showings)
    images: dict[str, str] = {}
    for sh in showings:
        if sh.image not in images:
            images[sh.image] = ctx.save_artifact(out_dir / sh.image, "slide", sh.image, "image/png")["storage_key"]
    return {"showings": [sh.to_json() for sh in showings], "images": images, "deck_title": deck_title(showings)}


def _read_text(ctx: StageContext, out_dir, showings) -> None:
    """OCR every distinct slide; a missing or failing engine leaves slide_text None and says so."""
    s = ctx.settings
    if s.ocr_engine == "off" or not showings:
        return
    opts = OcrOptions(engine=s.ocr_engine, max_side=s.ocr_max_side, workers=s.ocr_workers)
    try:
        report = read_slides(out_dir, [sh.image for sh in showings], opts, cancel_check=ctx.check_cancel,
                             progress=lambda f, m="": ctx.progress(_FIND_SHARE + (1 - _FIND_SHARE) * f, m))
    except OcrUnavailable as exc:
        ctx.warn(f"Slide text was not read: {exc.message}. Set HANDOUTS_OCR_ENGINE=off to skip OCR.")
        return
    if report.failed:
        names = ", ".join(sorted(report.failed)[:3])
        first = next(iter(report.failed.values()))
        ctx.warn(f"Slide text was not read on {len(report.failed)} slide(s) ({names}): {first}")
    attach_text(showings, report.texts)
    ctx.log.info("slides_read", engine=report.engine, slides=len(report.texts), failed=len(report.failed))
