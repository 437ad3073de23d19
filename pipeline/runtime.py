"""One process's wiring: settings, database, storage and queue, built once and passed down."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import db
from .logs import get_logger
from .settings import Settings
from .storage import Storage, make_storage

ProgressListener = Callable[[str, str, float, str], None]


@dataclass
class Runtime:
    """The ports of a Handouts process; adapters and workers each hold one."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    huey: object
    task: object = None
    stages: tuple = ()
    listeners: list[ProgressListener] = field(default_factory=list)
    _ai: object = None
    notifiers: list = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings, *, immediate: bool = False, storage: Storage | None = None,
               stages: tuple | None = None) -> "Runtime":
        """Wire a process from settings; migrates the schema first when HANDOUTS_AUTO_MIGRATE is on."""
        from .queue import build_huey, register_tasks

        if stages is None:
            from .stages import STAGES as stages

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.make_engine(settings.db_url)
        if settings.auto_migrate:
            db.upgrade(engine)
        rt = cls(settings=settings, engine=engine, sessions=db.make_sessionmaker(engine),
                 storage=storage or make_storage(settings), huey=build_huey(settings, immediate=immediate),
                 stages=tuple(stages))
        rt.task = register_tasks(rt.huey, rt)
        from bot.notifier import make_slack_notifier

        slack = make_slack_notifier(settings, rt.sessions)
        if slack is not None:
            rt.notifiers.append(slack)
        return rt

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with db.transaction(self.sessions) as s:
            yield s

    def enqueue(self, job_id: str) -> None:
        """Queue a job to run from its first unfinished stage."""
        self.enqueue_stage(job_id, None)

    def enqueue_stage(self, job_id: str, stage: str | None, *, delay: float = 0.0) -> None:
        """Queue one stage of a job (after `delay` seconds)."""
        if delay and getattr(self.huey, "immediate", False):
            time.sleep(delay)  # inline mode has no scheduler thread to wait for us
            delay = 0.0
        if delay:
            self.task.schedule((job_id, stage), delay=delay)
        else:
            self.task(job_id, stage)

    @property
    def ai(self):
        """The AI service, built on first use (it may open an HTTP client)."""
        if self._ai is None:
            from .ai.service import make_ai_service

            self._ai = make_ai_service(self.settings, self.sessions)
        return self._ai

    def emit(self, job_id: str, event: str) -> None:
        """Tell every notifier (Slack, LMS) that a job moved: progress, finished, failed or cancelled.

        A notifier that fails must not fail the job: its error is logged and the pipeline goes on.
        """
        from .errors import HandoutsError

        for notifier in self.notifiers:
            try:
                notifier.job_event(self, job_id, event)
            except HandoutsError as e:
                log.warning("notify_failed", job_id=job_id, notify_event=event, error=e.message,
                            notifier=type(notifier).__name__)

    def notify_progress(self, job_id: str, stage: str, percent: float, message: str) -> None:
        for listener in self.listeners:
            listener(job_id, stage, percent, message)

    def close(self) -> None:
        self.engine.dispose()


log = get_logger("handouts.runtime")
