"""Stage 5: the AI study materials (cleaned captions, title, key points, study table, questions, mindmap).

A task that fails for good becomes a warning naming what is missing and why; the job still delivers its handout.
A later retry of the job runs only the tasks that are missing.
"""

from __future__ import annotations

from ..ai.images import SlideImage, prepare_images
from ..ai.schemas import LectureInput, SlideInput
from ..context import StageContext
from ..errors import AIError, StorageError
from ..render.text import slide_numbers
from ..results import AlignResult, SlidesResult, StudyResult
from ..titles import lecture_title, non_ai_title
from ..types import Showing

TASK_ORDER = ("clean_captions", "title", "key_points", "study_table", "vignettes", "mindmap")
LABELS = {"clean_captions": "cleaned captions", "title": "lecture title", "key_points": "key points",
          "study_table": "study table", "vignettes": "practice questions", "mindmap": "mindmap"}
AUTHORITATIVE = ("option", "session", "deck")   # title sources the AI title task does not override


def lecture_input(showings: list[Showing], title_hint: str, language: str) -> LectureInput:
    """The lecture as the AI tasks see it: slides numbered as the handout numbers them, with their OCR text."""
    numbers = slide_numbers(showings)
    return LectureInput(title_hint=title_hint, language=language,
                        slides=[SlideInput(index=i, start=s.start, end=s.end, text=s.text, repeat_of=s.repeat_of,
                                           number=numbers[i], image=s.image,
                                           slide_title=s.slide_text.title if s.slide_text else "",
                                           slide_text=s.slide_text.text if s.slide_text else "")
                                for i, s in enumerate(showings)])


def slide_pictures(ctx: StageContext, showings: list[Showing]) -> dict[str, SlideImage]:
    """The distinct slide images, downscaled for the model, when the AI engine reads pictures; else none.

    A picture that cannot be fetched or read leaves its slide as text only, with a warning naming it."""
    if ctx.settings.ai_images == "off" or not getattr(ctx.ai.engine, "accepts_images", False):
        return {}
    keys: dict[str, str] = ctx.result(SlidesResult).images
    folder = ctx.workdir / "slides"
    paths = {}
    for name in dict.fromkeys(s.image for s in showings if s.image):
        if name not in keys:
            continue
        try:
            if not (folder / name).exists():
                ctx.storage.get_file(keys[name], folder / name)
            paths[name] = folder / name
        except StorageError as e:
            if e.retryable:
                raise
            ctx.warn(f"slide image {name} is not shown to the AI: {e.message}")
    images, problems = prepare_images(paths, ctx.settings)
    for name, why in problems.items():
        ctx.warn(f"{why}; the AI reads that slide's text only")
    return images


def run(ctx: StageContext) -> StudyResult:
    """Run every AI task not already done; each failure is a warning, not a failed job."""
    if ctx.options.get("no_ai"):
        return StudyResult(skipped=True)
    showings = [Showing.from_json(d) for d in ctx.result(AlignResult).showings]
    hint, source = non_ai_title(ctx.options, ctx.outputs)
    lecture = lecture_input(showings, hint, ctx.settings.caption_language)
    pictures = slide_pictures(ctx, showings)
    if pictures:
        lecture = lecture.model_copy(update={"images": pictures})
    profile = ctx.ai.profile(ctx.options.get("profile"), ctx.tenant)
    results: dict[str, dict] = dict((ctx.previous or {}).get("results", {}))
    missing: dict[str, str] = {}
    # A title someone chose (or the deck states) wins over the AI's, so the AI is not asked for one.
    tasks = [t for t in TASK_ORDER if t not in results and not (t == "title" and source in AUTHORITATIVE)]
    if not lecture.transcript():
        ctx.warn("no study materials: the lecture has no captions to work from")
        return StudyResult(engine=ctx.ai.engine.name, profile=profile.name, results=results,
                           missing={t: "the lecture has no captions" for t in tasks})
    for n, task in enumerate(tasks, 1):
        ctx.check_cancel()
        ctx.progress((n - 1) / len(tasks), LABELS[task])
        try:
            value = ctx.ai.run(task, lecture, job_id=ctx.job_id, tenant=ctx.tenant, stage=ctx.stage, profile=profile)
        except AIError as e:
            missing[task] = e.message
            ctx.warn(f"{LABELS[task]} missing: {e.message}")
            continue
        results[task] = value.model_dump(mode="json")
    ctx.progress(1.0, "study materials ready")
    return StudyResult(engine=ctx.ai.engine.name, profile=profile.name, results=results, missing=missing,
                       title=lecture_title(ctx.options, ctx.outputs, (results.get("title") or {}).get("title")))
