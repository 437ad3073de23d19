"""OpenAI (or any OpenAI-compatible endpoint) behind the Engine port, with structured outputs.

We send `response_format={"type": "json_schema", "strict": true, ...}` with a schema built for the task and the
lecture (pipeline/ai/wire.py: slide numbers as enums, the requested columns as required properties, ...)
through `chat.completions.create`, check the answer against that schema and the stored answer's model ourselves, rather than use the SDK's `parse()`: parse()
raises on bad output before we can read the token usage, and a bad answer still costs money the ledger must see.
So an AIOutputInvalid raised here carries `.completion` (value None, with the model and token counts).

Transient failures (429, 5xx, 408/409, timeouts, dropped connections) are retried here with exponential backoff
and jitter, honouring Retry-After; the SDK's own retries are off so that only one layer retries. A breaker per
base URL stops calling an endpoint that keeps failing, and a semaphore bounds concurrent calls per process.
"""

from __future__ import annotations

import email.utils
import inspect
import json
import threading
import time
from typing import Any, Callable

from pydantic import ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from ..errors import AIError, AIOutputInvalid, AIUnavailable, ConfigError
from ..settings import Settings
from .breaker import Breaker, CircuitOpen, breaker_for
from .engine import Completion, Prompt
from .images import accepts_images, image_tokens
from .messages import build_messages, lecture_cache_key, sent_images
from .split import estimate_tokens
from .schemas import TASKS, LectureInput
from .wire import response_format, to_answer, validate

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_RETRY_AFTER = 60.0          # a server asking for a longer pause is treated as unavailable for now

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def call_slots(limit: int) -> threading.BoundedSemaphore:
    """The process-wide bound on concurrent AI calls (one semaphore per configured limit)."""
    with _slots_lock:
        return _slots.setdefault(limit, threading.BoundedSemaphore(limit))


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds the endpoint asked us to wait (retry-after-ms, Retry-After seconds or date), if it said."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


def _body_code(exc: BaseException) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        return inner.get("code")
    return None


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: timeouts, dropped connections, 408/409, 429 (unless the quota is gone) and 5xx."""
    import openai

    if isinstance(exc, openai.APIConnectionError):     # APITimeoutError is one
        return True
    status = getattr(exc, "status_code", None)
    if status == 429:
        return _body_code(exc) != "insufficient_quota"
    return isinstance(exc, openai.APIStatusError) and status is not None and (status in (408, 409) or status >= 500)


def _accepts(function: Callable, parameter: str) -> bool:
    """Whether the installed SDK's `function` takes `parameter` (older SDKs reject unknown keywords)."""
    try:
        return parameter in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"{kind} (HTTP {status})" if status else kind


def reasoning_effort(model: str, setting: str) -> str | None:
    """The reasoning effort to send: hidden reasoning tokens are billed as output, so keep them small."""
    if setting == "none":
        return None
    family = model.lower().rsplit("/", 1)[-1]
    reasoning = family.startswith("gpt-5") or (len(family) > 1 and family[0] == "o" and family[1].isdigit())
    if not reasoning:
        return None
    if setting == "auto":
        return "minimal" if family.startswith("gpt-5") else "low"
    return setting


class OpenAIEngine:
    """Runs a task as one chat completion; raises AIOutputInvalid, AIUnavailable or AIError."""

    name = "openai"

    def __init__(self, settings: Settings, client: Any = None, *, backoff_initial: float = 1.0,
                 backoff_max: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.model = settings.ai_model
        self.base_url = (settings.openai_base_url or DEFAULT_BASE_URL).rstrip("/")
        self.client = client if client is not None else self._make_client(settings)
        self.breaker: Breaker = breaker_for(self.base_url, settings.ai_breaker_failures,
                                            settings.ai_breaker_cooldown)
        self.slots = call_slots(settings.ai_max_concurrency)
        self._backoff = wait_exponential_jitter(multiplier=backoff_initial, max=backoff_max, jitter=backoff_initial)
        self._sleep = sleep
        self._takes_cache_key = _accepts(self.client.chat.completions.create, "prompt_cache_key")
        self.accepts_images = accepts_images(settings, self.model)

    @staticmethod
    def _make_client(settings: Settings):
        key = settings.openai_api_key.get_secret_value().strip() if settings.openai_api_key else ""
        if not key:
            raise ConfigError("OPENAI_API_KEY", "not set; set it to use OpenAI for the study materials, or set "
                              "HANDOUTS_AI_ENGINE=offline")
        from openai import OpenAI

        return OpenAI(api_key=key, base_url=settings.openai_base_url, timeout=settings.ai_call_timeout,
                      max_retries=0)

    # ---- the port -------------------------------------------------------------------------------------------
    def run(self, task: str, lecture: LectureInput, prompt: Prompt) -> Completion:
        """One structured completion for `task`, validated against its schema."""
        schema = TASKS.get(task)
        if schema is None:
            raise AIError(task, f"unknown AI task '{task}'; known: {', '.join(TASKS)}")
        wanted = response_format(task, lecture)
        detail = self.settings.ai_image_detail if self.accepts_images else None
        messages = build_messages(task, lecture, prompt, detail)
        request = {"model": self.model, "messages": messages, "response_format": wanted,
                   "timeout": self.settings.ai_call_timeout}
        if self._takes_cache_key:
            request["prompt_cache_key"] = lecture_cache_key(lecture)
        effort = reasoning_effort(self.model, self.settings.ai_reasoning_effort)
        if effort:
            request["reasoning_effort"] = effort
        response = self._call(task, request)
        return self._read(task, lecture, wanted["json_schema"]["schema"], response,
                          self.estimate(lecture, messages, detail))

    def estimate(self, lecture: LectureInput, messages: list[dict], detail: str | None) -> tuple[int, int]:
        """(input tokens, of which pictures) a request is expected to cost; used when the endpoint reports none."""
        text = "".join(m["content"] if isinstance(m["content"], str) else
                       "".join(p.get("text", "") for p in m["content"]) for m in messages)
        pictures = 0
        if detail:
            pictures = sum(image_tokens(self.settings, self.model, lecture.images[n].width,
                                        lecture.images[n].height, detail) for n in sent_images(lecture))
        return estimate_tokens(text) + pictures, pictures

    # ---- calling --------------------------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc) if exc else None
        return asked if asked is not None else self._backoff(state)

    def _retry_wanted(self, exc: BaseException) -> bool:
        if not is_transient(exc):
            return False
        asked = retry_after_seconds(exc)
        return asked is None or asked <= MAX_RETRY_AFTER

    def _call(self, task: str, request: dict[str, Any]):
        import openai

        retrying = Retrying(stop=stop_after_attempt(self.settings.ai_retries + 1), wait=self._wait,
                            retry=retry_if_exception(self._retry_wanted), sleep=self._sleep, reraise=True)
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    return self._attempt(request)
        except CircuitOpen as e:
            raise AIUnavailable(task, f"AI endpoint unavailable: {e}") from None
        except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
            raise AIError(task, f"the AI endpoint {self.base_url} refused the key (HTTP {e.status_code}); check "
                          "OPENAI_API_KEY (and OPENAI_BASE_URL)", retryable=False) from None
        except openai.APIError as e:
            if getattr(e, "status_code", None) == 429 and _body_code(e) == "insufficient_quota":
                raise AIUnavailable(task, f"the AI account behind OPENAI_API_KEY has no quota left at "
                                    f"{self.base_url}; add credit or use another key", retryable=False) from None
            if is_transient(e):
                asked = retry_after_seconds(e)
                if asked is not None and asked > MAX_RETRY_AFTER:
                    raise AIUnavailable(task, f"AI endpoint {self.base_url} is rate limiting and asks to wait "
                                        f"{asked:.0f} s; try again later") from None
                raise AIUnavailable(task, f"AI endpoint {self.base_url} failed {attempts} time(s) "
                                    f"(last: {_describe(e)}); try again later") from None
            raise AIError(task, f"the AI endpoint {self.base_url} rejected the request ({_describe(e)}): "
                          f"{getattr(e, 'message', e)}", retryable=False) from None
        raise AssertionError("unreachable: tenacity returns or raises")

    def _attempt(self, request: dict[str, Any]):
        self.breaker.before_call()
        try:
            with self.slots:
                response = self.client.chat.completions.create(**request)
        except Exception as e:
            if is_transient(e):
                self.breaker.record_failure()
            else:
                # The endpoint answered, so it is up: a trial call that gets a 4xx still closes the circuit.
                self.breaker.record_success()
            raise
        self.breaker.record_success()
        return response

    # ---- reading --------------------------------------------------------------------------------------------
    def _read(self, task: str, lecture: LectureInput, schema: dict[str, Any], response: Any,
              expected: tuple[int, int] = (0, 0)) -> Completion:
        usage = getattr(response, "usage", None)
        details = getattr(usage, "prompt_tokens_details", None)
        reported = int(getattr(usage, "prompt_tokens", 0) or 0)
        # An endpoint that reports no usage is priced from our own estimate rather than recorded as free.
        tokens = {"tokens_in": reported or expected[0],
                  "tokens_cached": int(getattr(details, "cached_tokens", 0) or 0),
                  "tokens_out": int(getattr(usage, "completion_tokens", 0) or 0),
                  "tokens_image": expected[1]}
        model = getattr(response, "model", None) or self.model

        def invalid(detail: str) -> AIOutputInvalid:
            err = AIOutputInvalid(task, detail)
            err.completion = Completion(value=None, model=model, **tokens)  # type: ignore[arg-type]
            return err

        choice = response.choices[0] if getattr(response, "choices", None) else None
        if choice is None:
            raise invalid("the model returned no answer (no choices)")
        message = choice.message
        refusal = getattr(message, "refusal", None)
        if refusal:
            raise invalid(f"the model refused: {refusal.strip()[:300]}")
        if choice.finish_reason == "length":
            raise invalid("the answer was cut off at the output token limit (finish_reason=length); "
                          "it is incomplete JSON")
        if choice.finish_reason == "content_filter":
            raise invalid("the answer was withheld by the content filter (finish_reason=content_filter)")
        content = (message.content or "").strip()
        if not content:
            raise invalid("the answer was empty")
        try:
            data = json.loads(content)
        except json.JSONDecodeError as e:
            raise invalid(f"the answer is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
        try:
            validate(data, schema)      # an endpoint without strict outputs may still answer outside it
        except ValueError as e:
            raise invalid(f"the answer does not fit the {task} schema: {e}") from None
        try:
            value = to_answer(task, lecture, data)
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
                                 for err in e.errors()[:5])
            raise invalid(f"the answer does not fit the {task} schema: {problems}") from None
        return Completion(value=value, model=model, **tokens)
