"""The Huey instance and its one task: run a stage of a job, given ids only."""

from __future__ import annotations

from typing import Callable

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from .settings import Settings

StageRunner = Callable[[str, "str | None"], None]


def build_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    """RedisHuey when REDIS_URL is set, SqliteHuey in the data folder otherwise; immediate runs tasks inline."""
    if immediate:
        return MemoryHuey(settings.queue_name, immediate=True)
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str((settings.data_dir / "queue.db").resolve()))


def register_tasks(huey: Huey, run: StageRunner) -> TaskWrapper:
    """Define the stage task on this Huey instance, running `run(job_id, stage)`; returns the task to enqueue."""

    @huey.task(name="handouts.run_stage")
    def run_stage(job_id: str, stage: str | None = None) -> None:
        run(job_id, stage)

    return run_stage
