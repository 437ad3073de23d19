"""Fixtures for the AI tests: a migrated SQLite database, the fake OpenAI server, a lecture, valid answers."""

from __future__ import annotations

import re

import pytest

from pipeline.ai.schemas import LectureInput, SlideInput
from tests.fakes.openai_server import ChatReply, FakeOpenAI, FakeRequest

TOPICS = ["osmosis", "diffusion", "active transport", "membrane potential", "ion channels", "pumps"]


def make_lecture(n: int = 4, words: int = 30, **fields) -> LectureInput:
    """A small lecture: `n` slides of about `words` words each, every slide about its own topic."""
    slides = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        sentence = f"Um so {topic} number {i} matters because, uh, cells depend on it."
        text = " ".join([sentence] * max(1, words // 12))
        slides.append(SlideInput(index=i, start=i * 60.0, end=(i + 1) * 60.0, text=text))
    return LectureInput(slides=slides, title_hint="bio-101-week3.mp4", **fields)


def indexes_in(body: dict) -> list[int]:
    """The passage indexes the request's transcript carries, in order."""
    transcript = body["messages"][1]["content"]
    return list(dict.fromkeys(int(m) for m in re.findall(r"\[#(\d+) ", transcript)))


def numbers_in(body: dict) -> dict[int, int]:
    """Passage index → slide number, as the request's transcript marks them."""
    transcript = body["messages"][1]["content"]
    return {int(i): int(n) for i, n in re.findall(r"\[#(\d+) slide (\d+)", transcript)}


def columns_in(body: dict) -> list[str]:
    task_text = body["messages"][-1]["content"]
    m = re.search(r"Columns, in this order: (.+)", task_text)
    return [c.strip() for c in m.group(1).split("|")] if m else ["Topic", "Notes"]


def valid_answer(task: str, body: dict) -> dict:
    """A correct answer to `task` for the passages in the request, as a careful model would give."""
    idx = indexes_in(body)
    if task == "clean_captions":
        return {"slides": [{"index": i, "text": f"Clean caption of passage {i}."} for i in idx]}
    if task == "title":
        return {"title": "Membrane Transport in Cells"}
    if task == "key_points":
        return {"lecture": [f"Point about passage {i}." for i in idx[:3]] + ["Cells depend on transport."],
                "slides": [{"index": i, "points": [f"Passage {i} teaches {TOPICS[i % len(TOPICS)]}."]}
                           for i in idx]}
    numbers = numbers_in(body)
    if task == "study_table":
        cols = columns_in(body)
        requested = "Columns, in this order" in body["messages"][-1]["content"]
        return ({"rows": [{"cells": dict(zip(cols, cells_of(i, cols))), "slides": [numbers[i]]} for i in idx]}
                if requested else
                {"columns": cols, "rows": [{"cells": cells_of(i, cols), "slides": [numbers[i]]} for i in idx]})
    if task == "vignettes":
        return {"objectives": ["Explain osmosis"],
                "questions": [{"objective": "Explain osmosis", "stem": f"A cell in passage {i} swells.",
                               "question": "Why?", "choices": {c: f"option {c}" for c in "ABCDE"},
                               "answer": "B", "explanation": "Water follows solute.", "difficulty": "medium",
                               "slides": [numbers[i]]} for i in idx[:2]]}
    if task == "mindmap":
        return {"root": {"text": "Membrane Transport", "children": [
            {"text": "Passive", "children": [{"text": "Osmosis", "children": []}]},
            {"text": "Active", "children": [{"text": "Pumps", "children": []}]}]}}
    raise AssertionError(task)


def cells_of(i: int, cols: list[str]) -> list[str]:
    """A row's cells for passage `i`: its topic, then one fact per further column."""
    return [TOPICS[i % len(TOPICS)].title()] + [f"**fact** {i}.{k}" for k in range(1, len(cols))]


def task_of(request: FakeRequest) -> str:
    return request.json()["response_format"]["json_schema"]["name"]


def responder(request: FakeRequest) -> ChatReply:
    """The fake's default: a correct answer to whatever task was asked."""
    body = request.json()
    return ChatReply(valid_answer(task_of(request), body), prompt_tokens=1200, cached_tokens=1024,
                     completion_tokens=300)


@pytest.fixture(autouse=True)
def _fresh_breakers():
    from pipeline.ai.breaker import reset_breakers

    reset_breakers()
    yield
    reset_breakers()


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        server.answer_chat_with(responder)
        yield server


@pytest.fixture
def sessions(make_settings):
    """A migrated SQLite database in tmp_path; returns its sessionmaker."""
    from handouts.schema import upgrade
    from pipeline.db import make_engine, make_sessionmaker

    engine = make_engine(make_settings().db_url)
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def ai_settings(make_settings, fake):
    """Settings pointing at the fake, with quick timeouts and few retries; overrides as keyword arguments."""
    def build(**overrides):
        values = {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url, "HANDOUTS_AI_RETRIES": 2,
                  "HANDOUTS_AI_CALL_TIMEOUT": 5, "HANDOUTS_AI_BREAKER_FAILURES": 50}
        values.update(overrides)
        return make_settings(**values)
    return build


@pytest.fixture
def service(ai_settings, sessions):
    """An AIService over the fake with fast backoff; call with settings overrides to get another."""
    from pipeline.ai.openai_engine import OpenAIEngine
    from pipeline.ai.service import AIService

    def build(**overrides):
        settings = ai_settings(**overrides)
        engine = OpenAIEngine(settings, backoff_initial=0.01, backoff_max=0.05)
        return AIService(settings, sessions, engine=engine)
    return build
