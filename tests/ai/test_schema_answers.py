"""Constraints live in the schema: whatever a model under strict structured outputs may answer, we accept.

The fake answers random JSON that fits exactly the schema each request sends; every task must be accepted
first time, and a re-run must be answered from the cache.
"""

from __future__ import annotations

import random

import pytest

from pipeline.ai.schemas import LectureInput, SlideInput
from pipeline.ai.service import AIService
from pipeline.ai.wire import task_schema, to_answer, validate
from pipeline.stages.study import TASK_ORDER
from tests.ai.conftest import make_lecture
from tests.fakes.openai_server import random_within

CHAT = "/v1/chat/completions"


def revisit_lecture() -> LectureInput:
    """Eight showings of seven slides: the sixth showing returns to slide 2."""
    slides = []
    for i in range(8):
        repeat = 1 if i == 5 else None
        slides.append(SlideInput(index=i, start=i * 30.0, end=(i + 1) * 30.0, repeat_of=repeat,
                                 text=f"Slide talk {i}: enzymes lower the activation energy of reaction {i}."))
    return LectureInput(slides=slides)


def walk(node: dict, root: dict, seen: list[dict]) -> None:
    """Every object schema reachable from `node`, $refs followed once."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        target = root["$defs"][name]
        if target in seen:
            return
        node = target
    if node.get("type") == "object":
        seen.append(node)
        for sub in node["properties"].values():
            walk(sub, root, seen)
    if node.get("type") == "array":
        walk(node["items"], root, seen)


def test_revisit_keeps_its_slide_number():
    lecture = revisit_lecture()
    assert [s.number for s in lecture.slides] == [1, 2, 3, 4, 5, 2, 6, 7]
    assert lecture.slide_numbers() == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("task", TASK_ORDER)
def test_every_schema_is_strict(task):
    lecture = make_lecture(3, study_columns=["Drug", "Mechanism / target"])
    schema = task_schema(task, lecture)
    objects: list[dict] = []
    walk(schema, schema, objects)
    assert objects
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
        assert not any("default" in sub for sub in node["properties"].values())


def test_slide_references_are_an_enum_of_the_handouts_numbers():
    schema = task_schema("vignettes", revisit_lecture())
    refs = schema["properties"]["questions"]["items"]["properties"]["slides"]["items"]
    assert refs["enum"] == [1, 2, 3, 4, 5, 6, 7]        # a 7-slide handout: never 8
    choices = schema["properties"]["questions"]["items"]["properties"]["choices"]
    assert choices["required"] == ["A", "B", "C", "D", "E"]


def test_requested_columns_are_required_properties():
    schema = task_schema("study_table", make_lecture(2, study_columns=["Disease", "Treatment"]))
    cells = schema["properties"]["rows"]["items"]["properties"]["cells"]
    assert cells["required"] == ["Disease", "Treatment"] and cells["additionalProperties"] is False


def test_the_mindmap_schema_is_a_recursive_tree():
    schema = task_schema("mindmap", make_lecture(2))
    topic = schema["$defs"]["topic"]
    assert topic["properties"]["children"]["items"] == {"$ref": "#/$defs/topic"}
    assert schema["properties"]["root"] == {"$ref": "#/$defs/topic"}


@pytest.mark.parametrize("seed", range(25))
def test_random_valid_answers_turn_into_stored_answers(seed):
    lecture = revisit_lecture().model_copy(update={"study_columns": ["Concept", "Key facts", "Pitfalls"]})
    rng = random.Random(seed)
    for task in TASK_ORDER:
        schema = task_schema(task, lecture)
        data = random_within(schema, rng)
        validate(data, schema)
        to_answer(task, lecture, data)


def test_validate_names_what_is_wrong():
    schema = task_schema("study_table", make_lecture(2, study_columns=["A", "B"]))
    with pytest.raises(ValueError, match=r"answer.rows\[0\].cells has unexpected 'C'"):
        validate({"rows": [{"cells": {"A": "", "B": "", "C": ""}, "slides": []}]}, schema)
    with pytest.raises(ValueError, match=r"slides\[0\] must be an integer"):
        validate({"rows": [{"cells": {"A": "", "B": ""}, "slides": [True]}]}, schema)
    with pytest.raises(ValueError, match="answer must be an object"):
        validate([], schema)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_task_is_accepted_from_a_schema_obeying_model(seed, fake, service, sessions):
    fake.answer_within_schema(seed)
    lecture = revisit_lecture()
    svc: AIService = service()
    for task in TASK_ORDER:
        svc.run(task, lecture, profile="medical-step1")
    bodies = fake.chat_bodies()
    assert len(bodies) == len(TASK_ORDER)           # no answer was rejected, so none was asked twice
    assert not any("rejected" in b["messages"][-1]["content"] for b in bodies)
    for task in TASK_ORDER:                          # the re-run costs nothing: every answer was cached
        svc.run(task, lecture, profile="medical-step1")
    assert len(fake.chat_bodies()) == len(TASK_ORDER)


def test_answers_cite_only_the_handouts_slide_numbers(fake, service):
    fake.answer_within_schema(7)
    lecture = revisit_lecture()
    svc = service()
    table = svc.run("study_table", lecture)
    questions = svc.run("vignettes", lecture)
    cited = {n for r in table.rows for n in r.slides} | {n for q in questions.questions for n in q.slides}
    assert cited and cited <= set(range(1, 8))
    transcript = fake.chat_bodies()[0]["messages"][1]["content"]
    assert "[#5 slide 2 again " in transcript and "slide 8" not in transcript
