"""The OpenAI engine against the fake server with the real SDK: answers, retries, timeouts, breaker, bounds."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.ai.engine import Prompt
from pipeline.ai.openai_engine import OpenAIEngine, retry_after_seconds
from pipeline.ai.prompts import load_prompt
from pipeline.ai.schemas import TASKS, KeyPoints
from pipeline.errors import AIError, AIOutputInvalid, AIUnavailable
from tests.ai.conftest import make_lecture, responder
from tests.fakes.openai_server import ChatReply

CHAT = "/v1/chat/completions"


def engine(settings, **kw) -> OpenAIEngine:
    return OpenAIEngine(settings, backoff_initial=kw.pop("backoff_initial", 0.01), backoff_max=0.05, **kw)


@pytest.mark.parametrize("task", list(TASKS))
def test_each_task_is_answered_and_validated(task, fake, ai_settings):
    settings = ai_settings()
    lecture = make_lecture(3, study_columns=["Concept", "Definition"])
    completion = engine(settings).run(task, lecture, load_prompt(task, settings))
    assert isinstance(completion.value, TASKS[task])
    assert (completion.tokens_in, completion.tokens_cached, completion.tokens_out) == (1200, 1024, 300)
    body = fake.chat_bodies()[-1]
    # Stable prefix first (system, transcript), the task last; strict schema named after the task.
    assert [m["role"] for m in body["messages"]] == ["system", "user", "user"]
    assert body["messages"][1]["content"].startswith("Lecture transcript:")
    assert body["messages"][2]["content"].startswith("Task:")
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["name"] == task
    assert body["model"] == settings.ai_model and body["prompt_cache_key"].startswith("handouts-")
    if task == "study_table":
        assert "Columns, in this order: Concept | Definition" in body["messages"][2]["content"]
        assert completion.value.columns == ["Concept", "Definition"]


def test_prompt_cache_key_is_per_lecture_not_per_task(fake, ai_settings):
    settings = ai_settings()
    e = engine(settings)
    lecture = make_lecture(2)
    e.run("title", lecture, load_prompt("title", settings))
    e.run("key_points", lecture, load_prompt("key_points", settings))
    e.run("title", make_lecture(3), load_prompt("title", settings))
    keys = [b["prompt_cache_key"] for b in fake.chat_bodies()]
    assert keys[0] == keys[1] != keys[2]
    first, second = fake.chat_bodies()[:2]
    assert first["messages"][:2] == second["messages"][:2]      # the shared, cacheable prefix


def test_429_with_retry_after_is_honoured(fake, ai_settings):
    fake.fail_next(CHAT, 429, headers={"Retry-After": "0.4"})
    e = engine(ai_settings(), backoff_initial=0.001)
    started = time.perf_counter()
    value = e.run("title", make_lecture(2), Prompt("title", "Task: title")).value
    waited = time.perf_counter() - started
    assert value.title == "Membrane Transport in Cells"
    assert len(fake.requests_to(CHAT)) == 2
    assert 0.4 <= waited < 2.0


def test_retry_after_forms():
    class Exc:
        def __init__(self, headers):
            self.response = type("R", (), {"headers": headers})()

    assert retry_after_seconds(Exc({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(Exc({"retry-after": "3"})) == 3.0
    assert retry_after_seconds(Exc({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0   # already past
    assert retry_after_seconds(Exc({})) is None


def test_500_then_success(fake, ai_settings):
    fake.fail_next(CHAT, 500, times=2)
    value = engine(ai_settings(HANDOUTS_AI_RETRIES=2)).run("title", make_lecture(2), Prompt("title", "t")).value
    assert value.title and len(fake.requests_to(CHAT)) == 3


def test_500_beyond_the_retries_is_unavailable(fake, ai_settings):
    fake.fail_next(CHAT, 503, times=5)
    with pytest.raises(AIUnavailable) as info:
        engine(ai_settings(HANDOUTS_AI_RETRIES=1)).run("title", make_lecture(2), Prompt("title", "t"))
    assert len(fake.requests_to(CHAT)) == 2
    assert "failed 2 time(s)" in info.value.message and "HTTP 503" in info.value.message
    assert info.value.retryable


def test_hang_past_the_timeout_is_retried_then_unavailable(fake, ai_settings):
    fake.answer_chat_with(lambda request: ChatReply({"title": "late"}, delay=3.0))
    e = engine(ai_settings(HANDOUTS_AI_CALL_TIMEOUT=0.3, HANDOUTS_AI_RETRIES=1))
    started = time.perf_counter()
    with pytest.raises(AIUnavailable) as info:
        e.run("title", make_lecture(2), Prompt("title", "t"))
    elapsed = time.perf_counter() - started
    assert len(fake.requests_to(CHAT)) == 2
    assert "Timeout" in info.value.message
    assert 0.6 <= elapsed < 2.5


def test_timeout_then_success(fake, ai_settings):
    fake.queue_chat(ChatReply({"title": "late"}, delay=2.0))
    value = engine(ai_settings(HANDOUTS_AI_CALL_TIMEOUT=0.3)).run("title", make_lecture(2), Prompt("title", "t"))
    assert value.value.title == "Membrane Transport in Cells"


def test_wrong_key_is_not_retried_and_names_the_variable(fake, ai_settings):
    e = engine(ai_settings(OPENAI_API_KEY="sk-wrong"))
    with pytest.raises(AIError) as info:
        e.run("title", make_lecture(2), Prompt("title", "t"))
    assert not isinstance(info.value, (AIUnavailable, AIOutputInvalid))
    assert "OPENAI_API_KEY" in info.value.message and not info.value.retryable
    assert "sk-wrong" not in info.value.message
    assert len(fake.requests_to(CHAT)) == 1


def test_exhausted_quota_is_not_retried(fake, ai_settings):
    fake.fail_next(CHAT, 429, body={"error": {"message": "quota", "type": "insufficient_quota",
                                              "code": "insufficient_quota"}})
    with pytest.raises(AIUnavailable) as info:
        engine(ai_settings()).run("title", make_lecture(2), Prompt("title", "t"))
    assert "quota" in info.value.message and not info.value.retryable
    assert len(fake.requests_to(CHAT)) == 1


@pytest.mark.parametrize("reply, words", [
    (ChatReply("{not json"), "not valid JSON"),
    (ChatReply({"lecture": [], "slides": []}), "does not fit the key_points schema"),
    (ChatReply({"lecture": ["x"], "slides": [], "extra": 1}), "does not fit the key_points schema"),
    (ChatReply(""), "empty"),
    (ChatReply(None, refusal="I can't help with that."), "refused: I can't help with that."),
    (ChatReply('{"lecture": ["a", "b', finish_reason="length"), "cut off"),
])
def test_bad_answers_are_output_invalid_with_their_cost(reply, words, fake, ai_settings):
    fake.queue_chat(reply)
    with pytest.raises(AIOutputInvalid) as info:
        engine(ai_settings()).run("key_points", make_lecture(2), Prompt("key_points", "t"))
    assert words in info.value.message
    assert info.value.completion.tokens_in == reply.prompt_tokens      # the ledger still sees what it cost
    assert len(fake.requests_to(CHAT)) == 1                             # the engine does not retry bad output


def test_breaker_opens_fails_fast_then_closes_after_cooldown(fake, ai_settings):
    settings = ai_settings(HANDOUTS_AI_RETRIES=0, HANDOUTS_AI_BREAKER_FAILURES=2, HANDOUTS_AI_BREAKER_COOLDOWN=0.4)
    e = engine(settings)
    fake.fail_next(CHAT, 500, times=3)
    for _ in range(2):
        with pytest.raises(AIUnavailable):
            e.run("title", make_lecture(2), Prompt("title", "t"))
    assert e.breaker.state == "open"
    sent = len(fake.requests_to(CHAT))
    started = time.perf_counter()
    with pytest.raises(AIUnavailable) as info:
        e.run("title", make_lecture(2), Prompt("title", "t"))
    assert time.perf_counter() - started < 0.1
    assert len(fake.requests_to(CHAT)) == sent                          # failed fast, nothing sent
    assert "circuit open until" in info.value.message and fake.base_url.rstrip("/") in info.value.message
    time.sleep(0.45)
    # Half-open: one trial goes through; it fails (the third scripted 500) and the circuit opens again.
    with pytest.raises(AIUnavailable):
        e.run("title", make_lecture(2), Prompt("title", "t"))
    assert e.breaker.state == "open"
    time.sleep(0.45)
    assert e.run("title", make_lecture(2), Prompt("title", "t")).value.title
    assert e.breaker.state == "closed"


def test_breaker_is_shared_per_endpoint(fake, ai_settings):
    settings = ai_settings()
    assert engine(settings).breaker is engine(settings).breaker


def test_concurrent_calls_are_bounded(fake, ai_settings):
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def slow(request):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.15)
        with lock:
            in_flight -= 1
        return responder(request)

    fake.answer_chat_with(slow)
    e = engine(ai_settings(HANDOUTS_AI_MAX_CONCURRENCY=2))
    threads = [threading.Thread(target=e.run, args=("title", make_lecture(2), Prompt("title", "t")))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.requests_to(CHAT)) == 5
    assert peak == 2


def test_key_points_answer_round_trips(fake, ai_settings):
    value = engine(ai_settings()).run("key_points", make_lecture(3), Prompt("key_points", "t")).value
    assert isinstance(value, KeyPoints) and [s.index for s in value.slides] == [0, 1, 2]


def test_a_rejected_request_is_not_retried(fake, ai_settings):
    fake.fail_next(CHAT, 400, body={"error": {"message": "This model's maximum context length is 128000 tokens.",
                                              "type": "invalid_request_error", "code": "context_length_exceeded"}})
    with pytest.raises(AIError) as info:
        engine(ai_settings()).run("title", make_lecture(2), Prompt("title", "t"))
    assert not isinstance(info.value, (AIUnavailable, AIOutputInvalid)) and not info.value.retryable
    assert "HTTP 400" in info.value.message and "maximum context length" in info.value.message
    assert len(fake.requests_to(CHAT)) == 1


def test_a_long_retry_after_gives_up_at_once(fake, ai_settings):
    fake.fail_next(CHAT, 429, headers={"Retry-After": "600"})
    with pytest.raises(AIUnavailable) as info:
        engine(ai_settings()).run("title", make_lecture(2), Prompt("title", "t"))
    assert "asks to wait 600 s" in info.value.message and len(fake.requests_to(CHAT)) == 1


@pytest.mark.parametrize("model,setting,sent", [
    ("gpt-4o-mini", "auto", None), ("gpt-4.1-mini", "high", None), ("gpt-5-mini", "auto", "minimal"),
    ("gpt-5.4-nano", "low", "low"), ("o4-mini", "auto", "low"), ("gpt-5-mini", "none", None),
    ("openrouter/gpt-5-mini", "auto", "minimal"), ("omni-local", "auto", None),
])
def test_reasoning_effort_is_sent_only_to_reasoning_models(model, setting, sent):
    from pipeline.ai.openai_engine import reasoning_effort

    assert reasoning_effort(model, setting) == sent


def test_reasoning_effort_reaches_the_endpoint(fake, ai_settings):
    for model, expected in (("gpt-5-mini", "minimal"), ("gpt-4o-mini", None)):
        settings = ai_settings(HANDOUTS_AI_MODEL=model)
        engine(settings).run("title", make_lecture(2), load_prompt("title", settings))
        assert fake.chat_bodies()[-1].get("reasoning_effort") == expected
