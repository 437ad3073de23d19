"""The one entry both adapters call: submit, cancel, retry and read jobs. The caller owns the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session

from .addresses import Address, CliAddress, Origin, dump_address
from .errors import InputError, JobNotFound
from .logs import get_logger
from .db import locked
from .models import Job, JobStatus, RunStatus, StageRun, utcnow
from .results import StudyResult
from .sources.netguard import check_link_form, redact_url

Enqueue = Callable[[str], None]
log = get_logger("handouts.jobs")


def _after_commit(session: Session, fn: Callable[[], None]) -> None:
    # A worker must never look for a row that is not committed yet, so the queue hears of a job only after commit.
    # The row is the job: when the queue is away the wake-up is left to the reaper (it wakes stalled jobs).
    def wake(_s) -> None:
        try:
            fn()
        except Exception as e:  # Redis down, SQLite queue locked
            log.warning("wake_up_deferred", error=f"{type(e).__name__}: {e}")

    event.listen(session, "after_commit", wake, once=True)


@dataclass(frozen=True)
class Viewer:
    """Who is looking at jobs: an operator sees every job; anyone else one tenant, narrowed by scope and owner.

    An LTI instructor is (tenant, course scope); a student the same scope; a Slack user (tenant, owner).
    """

    tenant: str | None = None
    scope: str | None = None
    owner: str | None = None
    operator: bool = False

    def __post_init__(self) -> None:
        if not self.operator and not self.tenant:
            raise InputError("a viewer who is not an operator needs a tenant", field="tenant")


OPERATOR = Viewer(operator=True)


def visible_jobs(viewer: Viewer) -> Select:
    """The one query every job and file route starts from: only what `viewer` may see."""
    q = select(Job)
    if viewer.operator:
        return q
    q = q.where(Job.tenant == viewer.tenant)
    if viewer.scope is not None:
        q = q.where(Job.scope == viewer.scope)
    if viewer.owner is not None:
        q = q.where(Job.owner == viewer.owner)
    return q


def get_visible_job(session: Session, viewer: Viewer, job_id: str) -> Job:
    """The job with this id if `viewer` may see it; JobNotFound otherwise (never "forbidden": ids stay secret)."""
    job = session.scalar(visible_jobs(viewer).where(Job.id == job_id))
    if job is None:
        raise JobNotFound(job_id)
    return job


def submit_job(session: Session, enqueue: Enqueue, *, source: str, tenant: str = "local", owner: str = "local",
               origin: Origin = Origin.CLI, address: Address | None = None, scope: str | None = None,
               options: dict[str, Any] | None = None, idempotency_key: str | None = None,
               seal: Callable[[str], str] | None = None) -> Job:
    """Create a job (or return the one with the same idempotency key) and queue it once the session commits.

    A link that carries credentials or a signature is stored without them; the whole link is kept only
    encrypted (`seal`), for the fetch stage, and dropped once the recording is fetched.
    """
    source = (source or "").strip()
    if not source:
        raise InputError("no source given: pass a video file path, an http(s) URL to a video, or an HLS playlist")
    if "://" in source:
        check_link_form(source)  # a malformed host is refused here, not after a worker picks the job up
    options = dict(options or {})
    shown = redact_url(source)
    if shown != source:
        if seal is None:
            raise InputError("this link carries a password or a signature; it can only be taken where it can "
                             "be stored encrypted", field="source")
        options["sealed_source"] = seal(source)
        source = shown
    if idempotency_key:
        existing = session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    address = address or CliAddress()
    if address.kind != Origin(origin) and not (origin == Origin.WEB and address.kind == "cli"):
        raise InputError(f"a job from {origin} cannot answer to a {address.kind} address", field="address")
    job = Job(source=source, tenant=tenant, scope=scope, owner=owner, origin=Origin(origin),
              reply_to=dump_address(address), options=options, idempotency_key=idempotency_key,
              status=JobStatus.QUEUED, message="queued", warnings=[])
    session.add(job)
    session.flush()
    job_id = job.id
    _after_commit(session, lambda: enqueue(job_id))
    return job


def get_job(session: Session, job_id: str, *, viewer: Viewer | None = None) -> Job:
    """The job with this id, or JobNotFound; with a `viewer`, only a job that viewer may see."""
    if viewer is not None:
        return get_visible_job(session, viewer, job_id)
    job = session.get(Job, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def list_jobs(session: Session, viewer: Viewer = OPERATOR, *, status: str | None = None,
              limit: int = 50) -> list[Job]:
    """Jobs `viewer` may see, newest first, optionally of one status."""
    q = visible_jobs(viewer).order_by(Job.created_at.desc()).limit(limit)
    if status is not None:
        q = q.where(Job.status == status)
    return list(session.scalars(q))


def live_run(job: Job) -> StageRun | None:
    """The stage run a live worker holds for this job (its lease not lapsed), if any."""
    now = utcnow()
    return next((r for r in job.stage_runs if r.status == RunStatus.RUNNING and r.lease_expires_at is not None
                 and aware(r.lease_expires_at) > now), None)


def cancel_job(session: Session, job_id: str) -> Job:
    """Stop a job: at once when no worker is running it (queued, between stages, its worker gone), else at the
    running stage's next check. A cancelled job is never woken again."""
    job = locked(session, Job, job_id) or get_job(session, job_id)
    if job.is_terminal:
        raise InputError(f"job {job_id} is already {job.status}; nothing to cancel", job_id=job_id)
    job.cancel_requested = True
    if live_run(job) is None:
        for run in job.stage_runs:
            if run.status == RunStatus.RUNNING:  # its worker is gone; nobody will close it
                run.status = RunStatus.CANCELLED
                run.finished_at = utcnow()
        job.status = JobStatus.CANCELLED
        job.message = "cancelled before it started" if not job.started_at else f"cancelled at {job.stage or 'a pause'}"
        job.finished_at = utcnow()
    return job


def _redo_for_missing(job: Job) -> list[str]:
    """Stages to run again so a job completed with warnings gets what it is missing (and nothing more)."""
    study = next((r for r in reversed(job.stage_runs) if r.stage == "study" and r.status == "succeeded"), None)
    if study is None or not StudyResult.model_validate(study.output or {}).missing:
        return []
    return ["study", "render"]


def retry_job(session: Session, enqueue: Enqueue, job_id: str) -> Job:
    """Run a job again from its first unfinished stage; finished stages are kept.

    A failed or cancelled job resumes where it stopped; a job completed with warnings because some study
    materials are missing runs only those again (and re-renders).
    """
    job = locked(session, Job, job_id) or get_job(session, job_id)
    redo: list[str] = []
    if job.status == JobStatus.RUNNING and live_run(job) is None:
        # its worker is gone (a lapsed lease, or a wake-up lost between stages): take it over now
        for run in job.stage_runs:
            if run.status == RunStatus.RUNNING:
                run.status = RunStatus.EXPIRED
                run.finished_at = utcnow()
                run.error = {"code": "lease_expired", "message": "taken over by a retry"}
    elif job.status == JobStatus.COMPLETED_WITH_WARNINGS:
        redo = _redo_for_missing(job)
        if not redo:
            raise InputError(f"job {job_id} has nothing missing to produce again; its warnings: "
                             + "; ".join(job.warnings or []), job_id=job_id)
    elif job.status not in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DEAD):
        raise InputError(f"job {job_id} is {job.status}; only a failed, dead or cancelled job, or one completed "
                         "with missing study materials, can be retried", job_id=job_id)
    for run in job.stage_runs:
        if run.stage in redo and run.status == RunStatus.SUCCEEDED:
            run.status = RunStatus.SUPERSEDED
    if redo:
        job.warnings = []
    job.status = JobStatus.QUEUED
    job.cancel_requested = False
    job.error = None
    job.message = "queued again"
    job.finished_at = None
    _after_commit(session, lambda: enqueue(job_id))
    return job


def finished_stages(job: Job) -> dict[str, dict]:
    """Checkpoint outputs of every stage that succeeded for this job."""
    return {r.stage: (r.output or {}) for r in job.stage_runs if r.status == RunStatus.SUCCEEDED}


def aware(t: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones, written in UTC)."""
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def delete_job(session: Session, job_id: str) -> list[str]:
    """Remove a finished job with its stage runs, artifacts and deliveries; returns the storage keys of its
    files for the caller to delete once the session commits. A live job must be cancelled first."""
    job = locked(session, Job, job_id) or get_job(session, job_id)
    if not job.is_terminal:
        raise InputError(f"job {job_id} is {job.status}; cancel it first, then delete it", job_id=job_id)
    keys = [a.storage_key for a in job.artifacts]
    session.delete(job)
    return keys
