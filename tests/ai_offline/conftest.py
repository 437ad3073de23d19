"""Fixtures for the offline engine's tests: the engine and a helper that runs one task."""

from __future__ import annotations

import pytest

from pipeline.ai.engine import Prompt
from pipeline.ai.offline import OfflineEngine
from pipeline.ai.schemas import TASKS, LectureInput


def mermaid(mindmap) -> str:
    """The Mermaid source the render stage writes for a mindmap answer."""
    from pipeline.mindmap_tree import to_mermaid, tree_for_drawing

    return to_mermaid(tree_for_drawing(mindmap.root.model_dump())).rstrip("\n")


@pytest.fixture(scope="session")
def engine() -> OfflineEngine:
    return OfflineEngine()


@pytest.fixture(scope="session")
def run(engine):
    """Run a task and check its answer against the task's schema, as the AI port does."""
    def go(task: str, lecture: LectureInput):
        completion = engine.run(task, lecture, Prompt(task, f"prompt text for {task}"))
        schema = TASKS[task]
        return schema.model_validate(completion.value.model_dump())
    return go
