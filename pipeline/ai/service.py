"""The AI service: one call per study material, whatever engine, cache and size of lecture.

run() applies the setting profile, loads the prompt, answers from the cache when it can, otherwise runs the
engine (splitting a transcript too large for one request and merging the parts), checks the answer beyond its
schema, retries once with the rejection fed back to the model, records every call in the cost ledger and caches
the result. Stages call it with plain arguments; it owns no transaction of theirs.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import structlog
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import AIError, AIOutputInvalid, AIUnavailable, ConfigError
from ..settings import Settings
from .cache import Cache, EntryInfo, cache_key, make_cache
from .checks import check_answer
from .engine import Completion, Engine, Prompt
from .ledger import Call, Ledger
from .images import image_tokens
from .messages import SYSTEM, SYSTEM_IMAGES, sent_images
from .profiles import Profile, get_profile
from .prompts import load_prompt
from .schemas import TASKS, KeyPoints, LectureInput
from .split import (MERGEABLE, ImageBudget, digest_lecture, estimate_tokens, fits, merge, request_tokens,
                    split_lecture)

log = structlog.get_logger(__name__)

REQUEST_RESERVE_TOKENS = 200    # task parameters, message framing, the retry's feedback
MIN_PART_TOKENS = 250


def choose_engine(settings: Settings) -> Engine:
    """The engine HANDOUTS_AI_ENGINE names; "auto" is OpenAI when OPENAI_API_KEY is set, else offline."""
    kind = settings.ai_engine
    if kind == "auto":
        has_key = settings.openai_api_key is not None and settings.openai_api_key.get_secret_value().strip()
        kind = "openai" if has_key else "offline"
    if kind == "openai":
        from .openai_engine import OpenAIEngine

        return OpenAIEngine(settings)
    try:
        from pipeline.ai.offline import OfflineEngine
    except ImportError as e:
        raise ConfigError("HANDOUTS_AI_ENGINE", f"the offline AI engine cannot be loaded ({e}); set "
                          "OPENAI_API_KEY to use OpenAI instead") from None
    return OfflineEngine()


def task_inputs(task: str, lecture: LectureInput, settings: Settings | None = None) -> dict:
    """The inputs that shape `task`'s answer (and its cache key): columns only matter to the table, and so on.

    A lecture whose pictures are sent adds them by hash with the settings that shaped them (detail, size,
    quality); a text-only request keys as it did before pictures existed."""
    data = lecture.model_dump(mode="json")
    shown = sent_images(lecture)
    if shown:
        data["images"] = {"sha256": [lecture.images[n].sha256 for n in shown],
                          "detail": settings.ai_image_detail if settings else None,
                          "max_side": settings.ai_image_max_side if settings else None,
                          "quality": settings.ai_image_quality if settings else None}
    if task != "study_table":
        data.pop("study_columns")
    if task != "vignettes":
        data.pop("vignette_style")
    if task != "title":
        data.pop("title_hint")
    return data


def with_profile(lecture: LectureInput, profile: Profile) -> LectureInput:
    """The lecture with the profile's columns and vignette style where the caller did not set its own."""
    updates: dict = {}
    if not lecture.study_columns and profile.study_columns:
        updates["study_columns"] = list(profile.study_columns)
    if "vignette_style" not in lecture.model_fields_set:
        updates["vignette_style"] = profile.vignette_style
    return lecture.model_copy(update=updates) if updates else lecture


@dataclass(frozen=True)
class _Context:
    job_id: str | None
    tenant: str
    stage: str | None
    version: str        # the prompt's own version, also on the retry whose text carries the feedback


class AIService:
    """Runs AI tasks for jobs; thread-safe, one per process is enough."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session] | None, engine: Engine | None = None,
                 cache: Cache | None = None, ledger: Ledger | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self._engine = engine
        self.cache = cache if cache is not None else make_cache(settings, sessions)
        self.ledger = ledger if ledger is not None else (Ledger(settings, sessions) if sessions else None)

    @property
    def engine(self) -> Engine:
        """The engine in use, chosen from settings on first use."""
        if self._engine is None:
            self._engine = choose_engine(self.settings)
        return self._engine

    def profile(self, profile: Profile | str | None, tenant: str) -> Profile:
        """A Profile object for a name (the tenant's, else bundled); None means HANDOUTS_AI_PROFILE."""
        if isinstance(profile, Profile):
            return profile
        name = profile or self.settings.ai_profile
        if self.sessions is None:
            return get_profile(None, tenant, name)
        with self.sessions() as session:
            return get_profile(session, tenant, name)

    # ---- the one entry ----------------------------------------------------------------------------------------
    def run(self, task: str, lecture: LectureInput, *, job_id: str | None = None, tenant: str = "local",
            stage: str | None = None, profile: Profile | str | None = None) -> BaseModel:
        """The answer to `task` over `lecture`, from the cache or the engine; AIError subclasses when it fails."""
        if task not in TASKS:
            raise AIError(task, f"unknown AI task '{task}'; known: {', '.join(TASKS)}")
        if task != "title" and not any(s.text.strip() for s in lecture.slides):
            # Nothing was said: any answer would be invented, and from OpenAI it would also be paid for.
            raise AIError(task, f"{task}: the lecture has no captions to work from; add captions or a transcript "
                          "and run it again", retryable=False)
        prof = self.profile(profile, tenant)
        whole = with_profile(lecture, prof)
        lecture = self.pictures_for(task, whole)
        prompt = load_prompt(task, self.settings, prof.prompts)
        engine = self.engine
        ctx = _Context(job_id, tenant, stage, prompt.version)
        key = cache_key(engine.name, engine.model, task, prompt.name, prompt.version,
                        task_inputs(task, lecture, self.settings))
        hit = self.cache.get(key)
        value = self._cached_value(task, hit) if hit is not None else None
        if value is not None:
            self._record(ctx, prompt, Call(engine.name, engine.model, prompt.name, prompt.version, cached=True))
            log.info("ai_cache_hit", task=task, job_id=job_id, prompt_version=prompt.version)
            return value
        value = self._compute(task, lecture, prompt, ctx, prof, whole)
        self.cache.put(key, value.model_dump(mode="json"),
                       EntryInfo(engine.name, engine.model, prompt.name, prompt.version))
        return value

    @staticmethod
    def _cached_value(task: str, hit: dict) -> BaseModel | None:
        # An entry written before a schema change no longer fits: treat it as a miss and overwrite it.
        try:
            return TASKS[task].model_validate(hit)
        except ValidationError as e:
            log.warning("ai_cache_entry_stale", task=task, error=e.errors()[0]["msg"])
            return None

    # ---- pictures ---------------------------------------------------------------------------------------------
    def pictures_for(self, task: str, lecture: LectureInput) -> LectureInput:
        """The lecture with the pictures this task's request will carry: none when the engine does not read
        images or the task is not in HANDOUTS_AI_IMAGE_TASKS, else those of the slides it shows."""
        if not lecture.images:
            return lecture
        send = task in self.settings.ai_image_tasks and getattr(self.engine, "accepts_images", False)
        kept = {n: lecture.images[n] for n in sent_images(lecture)} if send else {}
        return lecture.model_copy(update={"images": kept})

    def image_budget(self, lecture: LectureInput) -> ImageBudget | None:
        """Tokens per picture for the engine's model, and the per-request picture limits (None: no pictures)."""
        if not lecture.images:
            return None
        model = self.engine.model
        return ImageBudget(tokens=lambda img: image_tokens(self.settings, model, img.width, img.height),
                           max_images=self.settings.ai_max_images_per_request,
                           max_bytes=self.settings.ai_max_image_bytes_per_request)

    # ---- splitting --------------------------------------------------------------------------------------------
    def part_budget(self, prompt: Prompt) -> int:
        """Tokens of transcript one request may carry next to `prompt`."""
        budget = (self.settings.ai_max_input_tokens - estimate_tokens(SYSTEM + SYSTEM_IMAGES)
                  - estimate_tokens(prompt.text) - REQUEST_RESERVE_TOKENS)
        if budget < MIN_PART_TOKENS:
            raise ConfigError("HANDOUTS_AI_MAX_INPUT_TOKENS", f"{self.settings.ai_max_input_tokens} leaves only "
                              f"{budget} tokens of transcript beside prompt '{prompt.name}'; raise it")
        return budget

    def _compute(self, task: str, lecture: LectureInput, prompt: Prompt, ctx: _Context, prof: Profile,
                 whole: LectureInput | None = None) -> BaseModel:
        # The offline engine has no context window, and ranks sentences better over the whole lecture.
        if self.engine.name == "offline":
            return self._call(task, lecture, prompt, ctx)
        budget = self.part_budget(prompt)
        pictures = self.image_budget(lecture)
        if fits(lecture, budget, pictures):
            return self._call(task, lecture, prompt, ctx)
        if task not in MERGEABLE:
            # A title or a map of the whole lecture needs the whole lecture: give it the key points instead.
            # Asked with every picture the lecture has, so the study stage's own key points answer it.
            points = self.run("key_points", whole if whole is not None else lecture, job_id=ctx.job_id,
                              tenant=ctx.tenant, stage=ctx.stage, profile=prof)
            assert isinstance(points, KeyPoints)
            log.info("ai_digest", task=task, job_id=ctx.job_id, tokens=request_tokens(lecture, pictures),
                     budget=budget)
            # The digest stands in for speech; the pictures stay with the tasks that split.
            digest = digest_lecture(lecture, points, budget).model_copy(update={"images": {}})
            return self._call(task, digest, prompt, ctx)
        parts = split_lecture(lecture, budget, pictures)
        log.info("ai_split", task=task, job_id=ctx.job_id, parts=len(parts), tokens=request_tokens(lecture, pictures),
                 budget=budget, pictures=len(lecture.images))
        workers = max(1, min(self.settings.ai_max_concurrency, len(parts)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ai-{task}") as pool:
            answers = list(pool.map(lambda part: self._call(task, part, prompt, ctx), parts))
        try:
            return check_answer(task, lecture, merge(task, answers))
        except ValueError as e:
            raise AIOutputInvalid(task, f"{task}: the merged answer of {len(parts)} parts is invalid: {e}") from None

    # ---- one request, retried once when the answer is rejected -----------------------------------------------
    def _call(self, task: str, lecture: LectureInput, prompt: Prompt, ctx: _Context) -> BaseModel:
        try:
            return self._once(task, lecture, prompt, ctx)
        except AIOutputInvalid as first:
            log.warning("ai_answer_rejected", task=task, job_id=ctx.job_id, reason=first.message)
            again = Prompt(prompt.name, f"{prompt.text.rstrip()}\n\nYour previous answer was rejected: "
                                        f"{first.message}. Answer again, fixing that.\n")
            try:
                return self._once(task, lecture, again, ctx)
            except AIOutputInvalid as second:
                reasons = (first.message if second.message == first.message else
                           f"first: {first.message}; then: {second.message}")
                raise AIOutputInvalid(task, f"{task}: the answer was rejected twice ({reasons})") from None

    def _once(self, task: str, lecture: LectureInput, prompt: Prompt, ctx: _Context) -> BaseModel:
        engine = self.engine
        started = time.perf_counter()
        try:
            completion = engine.run(task, lecture, prompt)
        except AIError as e:
            outcome = ("invalid_output" if isinstance(e, AIOutputInvalid) else
                       "unavailable" if isinstance(e, AIUnavailable) else "error")
            # A rejected answer was still paid for: the engine hands its usage over on the error.
            self._record(ctx, prompt, self._call_row(engine, getattr(e, "completion", None), started, outcome))
            raise
        try:
            value = check_answer(task, lecture, completion.value)
        except ValueError as e:
            self._record(ctx, prompt, self._call_row(engine, completion, started, "invalid_output"))
            raise AIOutputInvalid(task, str(e)) from None
        self._record(ctx, prompt, self._call_row(engine, completion, started, "ok"))
        return value

    @staticmethod
    def _call_row(engine: Engine, spent: Completion | None, started: float, outcome: str) -> Call:
        return Call(engine=engine.name, model=(spent.model if spent else None) or engine.model, prompt_name=None,
                    prompt_version=None, tokens_in=spent.tokens_in if spent else 0,
                    tokens_cached=spent.tokens_cached if spent else 0, tokens_out=spent.tokens_out if spent else 0,
                    tokens_image=spent.tokens_image if spent else 0,
                    latency_ms=(time.perf_counter() - started) * 1000, outcome=outcome)

    def _record(self, ctx: _Context, prompt: Prompt, call: Call) -> None:
        if self.ledger is None:
            return
        self.ledger.record(replace(call, prompt_name=prompt.name, prompt_version=ctx.version), job_id=ctx.job_id,
                           tenant=ctx.tenant, stage=ctx.stage)


def make_ai_service(settings: Settings, sessions: sessionmaker[Session] | None) -> AIService:
    """The AI service for a process: engine from settings, cache and ledger in the database (or Redis)."""
    return AIService(settings, sessions)
