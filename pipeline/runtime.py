"""One process's ports: settings, database, storage, queue, AI and notifiers, built once and passed down.

The domain defines the ports; the composition root (handouts.wiring) chooses what fills them, adapters'
notifiers included. Nothing here imports an adapter.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterator, Sequence

from huey import Huey
from huey.api import TaskWrapper
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import db
from .ai.service import AIService, make_ai_service
from .context import StageDef
from .crypto import cipher_for
from .errors import ConfigError, HandoutsError
from .leases import LeaseKeeper
from .logs import get_logger
from .notify import Notifier
from .panopto.access import PanoptoAccess
from .panopto.credentials import PanoptoCredentials
from .queue import build_huey, register_tasks
from .runner import run_job_stage
from .settings import Settings
from .storage import Storage, make_storage

ProgressListener = Callable[[str, str, float, str], None]
log = get_logger("handouts.runtime")


@dataclass(eq=False)
class Runtime:
    """The ports of a Handouts process; adapters and workers each hold one, made by `Runtime.create`."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    huey: Huey
    stages: tuple[StageDef, ...]
    ai: AIService
    leases: LeaseKeeper
    notifiers: tuple[Notifier, ...] = ()
    task: TaskWrapper | None = None
    panopto: PanoptoAccess | None = None
    listeners: list[ProgressListener] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings, *, engine: Engine | None = None, notifiers: Sequence[Notifier] = (),
               immediate: bool = False, storage: Storage | None = None, stages: Sequence[StageDef] | None = None,
               ai: AIService | None = None, panopto_credentials: PanoptoCredentials | None = None) -> "Runtime":
        """Wire a process's ports; the schema is the caller's (the composition root migrates it)."""
        if stages is None:
            from .stages import STAGES as stages

        kinds = [type(n) for n in notifiers]
        if len(set(kinds)) != len(kinds):
            raise ConfigError("notifiers", "one notifier per adapter: "
                              + ", ".join(k.__name__ for k in kinds) + " has a repeat")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = engine or db.make_engine(settings.db_url)
        sessions = db.make_sessionmaker(engine)
        rt = cls(settings=settings, engine=engine, sessions=sessions, storage=storage or make_storage(settings),
                 huey=build_huey(settings, immediate=immediate), stages=tuple(stages),
                 ai=ai or make_ai_service(settings, sessions), leases=LeaseKeeper(settings, sessions),
                 notifiers=tuple(notifiers), panopto=PanoptoAccess(settings, sessions, panopto_credentials))
        rt.task = register_tasks(rt.huey, partial(run_job_stage, rt))
        return rt

    def seal(self, secret: str) -> str:
        """Encrypt a link or credential for storage (see pipeline.crypto)."""
        return cipher_for(self.settings, "sources").encrypt(secret)

    def notifier(self, kind: type) -> Notifier | None:
        """The one registered notifier of this type (an adapter's own), or None."""
        return next((n for n in self.notifiers if isinstance(n, kind)), None)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with db.transaction(self.sessions) as s:
            yield s

    def enqueue(self, job_id: str) -> None:
        """Queue a job to run from its first unfinished stage."""
        self.enqueue_stage(job_id, None)

    def enqueue_stage(self, job_id: str, stage: str | None, *, delay: float = 0.0) -> None:
        """Queue one stage of a job (after `delay` seconds)."""
        if delay and self.huey.immediate:
            time.sleep(delay)  # inline mode has no scheduler thread to wait for us
            delay = 0.0
        if delay:
            self.task.schedule((job_id, stage), delay=delay)
        else:
            self.task(job_id, stage)

    def emit(self, job_id: str, event: str) -> None:
        """Tell every notifier (Slack, LMS) that a job moved: progress, finished, failed or cancelled.

        A notifier that fails must not fail the job: its error is logged and the pipeline goes on.
        """
        for notifier in self.notifiers:
            try:
                notifier.job_event(self, job_id, event)
            except HandoutsError as e:
                log.warning("notify_failed", job_id=job_id, notify_event=event, error=e.message,
                            notifier=type(notifier).__name__)

    def notify_progress(self, job_id: str, stage: str, percent: float, message: str) -> None:
        for listener in self.listeners:
            listener(job_id, stage, percent, message)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run `closer` when the process closes its runtime (an adapter's thread pool, a client); last added, first run."""
        self.closers.append(closer)

    def close(self) -> None:
        """Let adapters finish the work they accepted (they registered how), then release the database."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as e:  # one adapter failing to close must not keep the others open
                log.warning("close_failed", closer=getattr(closer, "__qualname__", repr(closer)), error=repr(e))
        self.engine.dispose()
