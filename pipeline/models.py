"""Typed SQLAlchemy models: jobs, their stage runs, their artifacts, and AI requests."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .addresses import CliAddress, LtiAddress, Origin, SlackAddress, dump_address, parse_address


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class JobStatus:
    """The states of a job; `TERMINAL` ones never change again except by an explicit retry."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_WARNINGS = "completed_with_warnings"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEAD = "dead"                # a stage lost its worker too many times: dead-lettered with the reason
    ALL = (QUEUED, RUNNING, COMPLETED, COMPLETED_WITH_WARNINGS, FAILED, CANCELLED, DEAD)
    TERMINAL = (COMPLETED, COMPLETED_WITH_WARNINGS, FAILED, CANCELLED, DEAD)


class RunStatus:
    """The states of a stage run; at most one run of a job's stage is RUNNING (a unique partial index)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"    # a retry asked for this stage again
    EXPIRED = "expired"          # its worker stopped renewing the lease (died, froze, lost the database)
    RELEASED = "released"        # its worker gave it back while shutting down


class Job(Base):
    """One request to turn one recording into handouts, owned by a tenant and a user."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(128), default="local")
    scope: Mapped[str | None] = mapped_column(String(255))                 # the course or channel it belongs to
    owner: Mapped[str] = mapped_column(String(255), default="local")
    origin: Mapped[str] = mapped_column(String(16), default=Origin.CLI)    # an Origin
    reply_to: Mapped[dict[str, Any]] = mapped_column(default=dict)         # an Address: use Job.address
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(32), default=JobStatus.QUEUED)
    stage: Mapped[str | None] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float, default=0.0)            # 0–100
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    stage_runs: Mapped[list["StageRun"]] = relationship(back_populates="job", cascade="all, delete-orphan",
                                                        order_by="StageRun.id")
    artifacts: Mapped[list["Artifact"]] = relationship(back_populates="job", cascade="all, delete-orphan",
                                                       order_by="Artifact.id")

    __table_args__ = (
        Index("ix_jobs_owner_created", "tenant", "owner", "created_at"),
        Index("ix_jobs_scope_created", "tenant", "scope", "created_at"),
        Index("ix_jobs_owner_status_created", "tenant", "owner", "status", "created_at"),
        Index("ix_jobs_status", "status"),
        Index("ix_jobs_created", "created_at", "id"),                  # the status pages: newest first
        Index("ix_jobs_tenant_created", "tenant", "created_at", "id"),
        Index("ix_jobs_tenant_status", "tenant", "status"),             # counts by status, one tenant
    )

    @property
    def is_terminal(self) -> bool:
        return self.status in JobStatus.TERMINAL

    @property
    def address(self) -> CliAddress | SlackAddress | LtiAddress:
        """Where this job answers, typed by origin."""
        return parse_address(self.reply_to)

    @address.setter
    def address(self, value: CliAddress | SlackAddress | LtiAddress) -> None:
        self.reply_to = dump_address(value)


class StageRun(Base):
    """One attempt at one stage of a job; a succeeded run's output is the stage's checkpoint."""

    __tablename__ = "stage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING)   # a RunStatus
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    worker: Mapped[str | None] = mapped_column(String(255))                      # the lease owner
    lease_expires_at: Mapped[datetime | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    seconds: Mapped[float | None] = mapped_column(Float)

    job: Mapped[Job] = relationship(back_populates="stage_runs")

    __table_args__ = (
        Index("ix_stage_runs_job_stage", "job_id", "stage"),
        Index("uq_stage_runs_live", "job_id", "stage", unique=True, sqlite_where=text("status = 'running'"),
              postgresql_where=text("status = 'running'")),
        Index("ix_stage_runs_lease", "status", "lease_expires_at"),
    )


class Artifact(Base):
    """A file a job produced (or the source it stored), kept in storage under `storage_key`."""

    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))        # handout_grid | handout_notes | manifest | slide | source …
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    job: Mapped[Job] = relationship(back_populates="artifacts")

    __table_args__ = (UniqueConstraint("job_id", "name", name="uq_artifacts_job_name"),
                      Index("ix_artifacts_sha256", "sha256"))


class Delivery(Base):
    """One effect on the outside world for a job (a message posted, a file uploaded, an email sent).

    Keyed by (job, target, kind) so a retried stage or a second worker finds it and does not act twice;
    `ref` holds what the outside world answered (a message ts, a file id and permalink, the content hash sent).
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(255))     # e.g. slack:C1, slack-user:U1, email:x@uni.edu
    kind: Mapped[str] = mapped_column(String(255))       # e.g. progress, summary, file:<name>, dm:<ending>
    status: Mapped[str] = mapped_column(String(16), default="done")   # pending | done | failed
    ref: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("job_id", "target", "kind", name="uq_deliveries_job_target_kind"),)


class AIRequest(Base):
    """One call to an AI engine, cached or not: the cost ledger."""

    __tablename__ = "ai_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    tenant: Mapped[str] = mapped_column(String(128), default="local")
    stage: Mapped[str | None] = mapped_column(String(32))
    engine: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    prompt_name: Mapped[str | None] = mapped_column(String(128))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_cached: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    audio_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    cached: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(String(32), default="ok")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_ai_requests_created", "created_at"), Index("ix_ai_requests_job", "job_id"))


class AICacheEntry(Base):
    """A cached AI answer, as JSON: keyed by engine, model, prompt version and a hash of the inputs."""

    __tablename__ = "ai_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    engine: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    prompt_name: Mapped[str] = mapped_column(String(128))
    prompt_version: Mapped[str] = mapped_column(String(64))
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_ai_cache_prompt", "prompt_name"), Index("ix_ai_cache_expires", "expires_at"))


class SettingProfile(Base):
    """A tenant's named setting profile: study table columns, vignette style, prompt overrides."""

    __tablename__ = "setting_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("tenant", "name", name="uq_setting_profiles_tenant_name"),)
