"""Stage 3: every distinct slide, with the time spans it was on screen and the text written on it."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..context import StageContext
from ..results import FetchResult, SlidesResult
from ..slides import detect_slides
from ..slides.ocr import OcrOptions, OcrUnavailable, attach_text, deck_title, read_slides
from ..types import Showing

_FIND_SHARE = 0.85  # of this stage's progress; reading the slides' text is the rest


def run(ctx: StageContext) -> SlidesResult:
    """Find the slides, read their text, store one image per distinct slide.

    Output: `showings` (Showing.to_json each, with `slide_text` when it was read), `images` (file name ->
    storage key) and `deck_title` (the opening slide's most prominent text, "" when there is none).
    """
    fetched = ctx.result(FetchResult)
    out_dir = ctx.workdir / "slides"
    out_dir.mkdir(parents=True, exist_ok=True)
    if fetched.panopto_slides:
        return _platform_slides(ctx, out_dir, fetched.panopto_slides, fetched.slides_source or "panopto")
    video = ctx.local(fetched.video_key)
    showings = detect_slides(video, out_dir, progress=lambda f, m="": ctx.progress(_FIND_SHARE * f, m),
                             cancel_check=ctx.check_cancel)
    _read_text(ctx, out_dir, showings)
    images: dict[str, str] = {}
    for sh in showings:
        if sh.image not in images:
            images[sh.image] = ctx.save_artifact(out_dir / sh.image, "slide", sh.image, "image/png")["storage_key"]
    return SlidesResult(showings=[sh.to_json() for sh in showings], images=images, deck_title=deck_title(showings))


def _platform_slides(ctx: StageContext, out_dir, slides: list[dict], source: str) -> SlidesResult:
    """The platform's own slide images and times (PowerPoint timestamps): no slide finding needed."""
    showings: list[Showing] = []
    first_of: dict[str, int] = {}
    for i, sl in enumerate(slides):
        ctx.check_cancel()
        image = f"slide-{i + 1:03d}.png"
        local = ctx.local(sl["key"], Path(sl["key"]).name)
        shutil.copyfile(local, out_dir / image)
        repeat = first_of.get(sl["key"])
        first_of.setdefault(sl["key"], i)
        showings.append(Showing(float(sl["start"]), float(sl["end"]), image, repeat))
        ctx.progress(_FIND_SHARE * (i + 1) / len(slides), f"took slide {i + 1} of {len(slides)} from {source}")
    _read_text(ctx, out_dir, showings)
    images = {sh.image: ctx.save_artifact(out_dir / sh.image, "slide", sh.image, "image/png")["storage_key"]
              for sh in showings}
    ctx.log.info("slides_from_platform", source=source, slides=len(showings))
    return SlidesResult(showings=[sh.to_json() for sh in showings], images=images, deck_title=deck_title(showings),
                        source=source)


def _read_text(ctx: StageContext, out_dir, showings) -> None:
    """OCR every distinct slide (by content); a missing or failing engine leaves slide_text None and says so.

    Texts already read in this process, or by an earlier attempt of this job (out_dir/ocr-cache.json), are
    reused without starting an engine."""
    s = ctx.settings
    if s.ocr_engine == "off" or not showings:
        return
    opts = OcrOptions(engine=s.ocr_engine, max_side=s.ocr_max_side, workers=s.ocr_workers)
    try:
        report = read_slides(out_dir, [sh.image for sh in showings], opts, cancel_check=ctx.check_cancel,
                             progress=lambda f, m="": ctx.progress(_FIND_SHARE + (1 - _FIND_SHARE) * f, m),
                             store=True)
    except OcrUnavailable as exc:
        ctx.warn(f"Slide text was not read: {exc.message}. Set HANDOUTS_OCR_ENGINE=off to skip OCR.")
        return
    if report.failed:
        names = ", ".join(sorted(report.failed)[:3])
        first = next(iter(report.failed.values()))
        ctx.warn(f"Slide text was not read on {len(report.failed)} slide(s) ({names}): {first}")
    attach_text(showings, report.texts)
    ctx.log.info("slides_read", engine=report.engine, slides=len(report.texts), failed=len(report.failed),
                 engine_reads=report.engine_reads, reused=report.reused)
