"""What the runner and notifiers need from a process, as a protocol: `Runtime` fills it, tests may too.

Ports the domain defines and adapters or the composition root fill:
    Notifier     pipeline.notify   told of every move of every job (Slack, LMS)
    Storage      pipeline.storage  files: a local folder or S3
    AIService    pipeline.ai       the study-material engine (OpenAI or offline) with cache and ledger
"""

from __future__ import annotations

from typing import ContextManager, Protocol

from sqlalchemy.orm import Session, sessionmaker

from .ai.service import AIService
from .context import StageDef
from .leases import LeaseKeeper
from .settings import Settings
from .storage import Storage


class Ports(Protocol):
    """A process's wiring as the runner and the notifiers see it."""

    settings: Settings
    sessions: sessionmaker[Session]
    storage: Storage
    stages: tuple[StageDef, ...]
    ai: AIService
    leases: LeaseKeeper

    def transaction(self) -> ContextManager[Session]:
        """A session committed on success, rolled back on error."""

    def emit(self, job_id: str, event: str) -> None:
        """Tell every notifier that a job moved."""

    def notify_progress(self, job_id: str, stage: str, percent: float, message: str) -> None:
        """Tell in-process listeners (a CLI progress bar) how far a job is."""

    def enqueue_stage(self, job_id: str, stage: str | None, *, delay: float = 0.0) -> None:
        """Queue one stage of a job."""
