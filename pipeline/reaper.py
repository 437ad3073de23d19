"""The reaper: gives the stages of dead workers to live ones, and wakes jobs whose wake-up was lost.

Run at every worker's start and then every HANDOUTS_REAP_INTERVAL seconds by each worker (many reapers are safe:
each change is a compare-and-set on the rows it reads). Two things it fixes:
  - a RUNNING stage run whose lease lapsed: its worker died. The run is marked expired and the stage queued
    again, or after HANDOUTS_MAX_LEASE_LOSSES such deaths the job is dead-lettered with the reason; a job whose
    cancel was asked for while that run was alive ends cancelled instead, and an ended job is never woken;
  - a QUEUED job, or a RUNNING one between stages, with no live run and untouched for HANDOUTS_STALL_SECONDS:
    its wake-up was lost (Redis was down at submit, the worker died right after a checkpoint). It is queued again;
    a wake-up too many is harmless, the claim makes it a no-op.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import DBAPIError

from .logs import get_logger
from .models import Job, JobStatus, RunStatus, StageRun, utcnow
from .ports import Ports
from .db import locked
from .jobs import aware
from .runner import expire_run

log = get_logger("handouts.reaper")


@dataclass
class ReapReport:
    """What one pass did."""

    resumed: list[tuple[str, str]] = field(default_factory=list)    # (job, stage) whose worker died
    dead: list[str] = field(default_factory=list)                    # jobs dead-lettered
    woken: list[str] = field(default_factory=list)                   # jobs whose wake-up was lost
    cancelled: list[str] = field(default_factory=list)               # cancel asked, then the worker died

    def __bool__(self) -> bool:
        return bool(self.resumed or self.dead or self.woken or self.cancelled)


def reap(rt: Ports, now: datetime | None = None) -> ReapReport:
    """One pass: expire lapsed leases, dead-letter or resume their jobs, wake stalled jobs."""
    now = now or utcnow()
    report = ReapReport()
    with rt.transaction() as s:
        lapsed = s.execute(select(StageRun.id, StageRun.job_id).where(StageRun.status == RunStatus.RUNNING,
                                                                      StageRun.lease_expires_at < now)).all()
        for run_id, job_id in lapsed:
            job = locked(s, Job, job_id)  # the job's claims and this pass take turns
            run = s.get(StageRun, run_id, populate_existing=True)
            if run.status != RunStatus.RUNNING or aware(run.lease_expires_at) >= now:
                continue  # renewed or finished since we looked
            outcome = expire_run(job, run, rt.settings)
            if outcome == "dead":
                report.dead.append(job.id)
            elif outcome == "cancelled":
                report.cancelled.append(job.id)
            elif outcome == "resume":
                report.resumed.append((job.id, run.stage))
        live = exists().where(StageRun.job_id == Job.id, StageRun.status == RunStatus.RUNNING)
        stalled = s.scalars(select(Job).where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                                              Job.updated_at < now - timedelta(seconds=rt.settings.stall_seconds),
                                              ~live).limit(500)).all()
        resumed = {j for j, _ in report.resumed}
        for job in stalled:
            if job.id in resumed:
                continue
            job.updated_at = now  # the next wake-up of this job waits another stall period
            report.woken.append(job.id)
    for job_id, stage in report.resumed:
        _wake(rt, job_id, stage)
    for job_id in report.woken:
        _wake(rt, job_id, None)
    for job_id in report.dead:
        rt.emit(job_id, "failed")
    for job_id in report.cancelled:
        rt.emit(job_id, "cancelled")
    if report:
        log.info("reaped", resumed=len(report.resumed), dead=len(report.dead), woken=len(report.woken),
                 cancelled=len(report.cancelled))
    return report


def _wake(rt: Ports, job_id: str, stage: str | None) -> None:
    try:
        rt.enqueue_stage(job_id, stage)
    except Exception as e:  # the queue is away: the next pass tries again (the job row is unchanged)
        log.warning("wake_up_deferred", job_id=job_id, stage=stage, error=f"{type(e).__name__}: {e}")


class Reaper:
    """A thread that reaps now and every `interval` seconds until stopped."""

    def __init__(self, rt: Ports, interval: float | None = None) -> None:
        self.rt = rt
        self.interval = interval if interval is not None else rt.settings.reap_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)
        self.passes = 0

    def start(self) -> "Reaper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                reap(self.rt)
            except DBAPIError as e:  # the database is away: try again next time
                log.warning("reap_failed", error=type(e.orig).__name__ if e.orig is not None else type(e).__name__)
            self.passes += 1
            self._stop.wait(self.interval)
