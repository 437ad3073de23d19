"""Runs one stage of one job: resume from checkpoints, record the attempt, retry what is transient, move on."""

from __future__ import annotations

import shutil
import time
import traceback
import structlog
from sqlalchemy.exc import DBAPIError, IntegrityError

from .context import StageContext, stage_index
from .db import error_name, locked, unreachable
from .errors import Cancelled, HandoutsError, LeaseLost, StageFailed
from .jobs import aware, finished_stages
from .models import Artifact, Job, JobStatus, RunStatus, StageRun, utcnow
from .ports import Ports
from .results import as_checkpoint

log = structlog.get_logger("handouts.runner")


def _overall(stages, stage: str, fraction: float) -> float:
    """Job progress in percent from a stage's own fraction, weighting stages by their typical cost."""
    i = stage_index(stages, stage)
    done = sum(s.weight for s in stages[:i])
    return round(100.0 * (done + stages[i].weight * fraction) / sum(s.weight for s in stages), 1)


def run_job_stage(rt: Ports, job_id: str, stage: str | None = None) -> None:
    """Claim and run `stage` of a job (or its first unfinished stage), then queue the next one.

    A wake-up for a job that has a live run elsewhere, or for a stage already done, is a logged no-op: Huey may
    deliver a task twice, and the reaper wakes jobs it is unsure of.
    """
    claim = _claim(rt, job_id, stage)
    if claim is None:
        return
    if isinstance(claim, str):
        rt.emit(job_id, claim)
        return
    stage, run_id, attempt, facts, done = claim
    limit = rt.settings.stage_timeout(stage)
    rt.leases.hold(run_id, until=time.monotonic() + limit + rt.settings.overrun_grace,
                   why=f"stage '{stage}' ran past its {limit:g} s time limit and did not stop")
    rt.emit(job_id, "progress")
    structlog.contextvars.bind_contextvars(job_id=job_id, stage=stage, tenant=facts["tenant"])
    try:
        _attempt(rt, job_id, stage, run_id, attempt, facts, done)
    finally:
        rt.leases.drop(run_id)
        structlog.contextvars.unbind_contextvars("job_id", "stage", "tenant")


def _claim(rt: Ports, job_id: str, stage: str | None):
    """In one transaction: decide what this wake-up means and take a lease on the stage to run.

    Returns None (nothing to do), an event name (the job ended here: "cancelled" or "finished"), or
    (stage, run id, attempt, job facts, finished outputs).
    """
    now = utcnow()
    try:
        with rt.transaction() as s:
            job = locked(s, Job, job_id)  # two wake-ups of one job decide one at a time
            if job is None:
                log.warning("job_missing", job_id=job_id)
                return None
            if job.is_terminal:
                log.info("wake_up_ignored", job_id=job_id, reason=f"job is {job.status}")
                return None
            live = [r for r in job.stage_runs if r.status == RunStatus.RUNNING]
            alive = [r for r in live if r.lease_expires_at is not None and aware(r.lease_expires_at) > now]
            if alive:
                log.info("wake_up_ignored", job_id=job_id, reason=f"stage {alive[0].stage} is running on "
                         f"{alive[0].worker}")
                return None
            for run in live:  # a lapsed lease: its worker is gone; the reaper may not have seen it yet
                ended = expire_run(job, run, rt.settings)
                if ended == "dead":
                    return "failed"
                if ended == "cancelled":
                    return "cancelled"
            done = finished_stages(job)
            pending = [st.name for st in rt.stages if st.name not in done]
            if job.cancel_requested:
                _finish_cancelled(job, "cancelled")
                return "cancelled"
            if not pending:
                _finish(job)
                return "finished"
            if stage is None or stage in done:
                stage = pending[0]
            attempt = 1 + sum(1 for r in job.stage_runs if r.stage == stage)
            run = StageRun(job_id=job_id, stage=stage, attempt=attempt, status=RunStatus.RUNNING,
                           worker=rt.leases.owner, lease_expires_at=rt.leases.expiry(now))
            s.add(run)
            job.status = JobStatus.RUNNING
            job.stage = stage
            job.started_at = job.started_at or now
            job.message = f"{stage}: starting" + (f" (attempt {attempt})" if attempt > 1 else "")
            job.progress = _overall(rt.stages, stage, 0.0)
            s.flush()
            facts = dict(tenant=job.tenant, source=job.source, options=dict(job.options or {}), owner=job.owner)
            superseded = [r for r in job.stage_runs if r.stage == stage and r.status == RunStatus.SUPERSEDED]
            facts["previous"] = superseded[-1].output if superseded else None
            return stage, run.id, attempt, facts, done
    except IntegrityError:  # another worker claimed the same stage between our read and our insert
        log.info("wake_up_ignored", job_id=job_id, reason="claimed by another worker at the same moment")
        return None


def expire_run(job: Job, run: StageRun, settings) -> str:
    """Mark a run whose lease lapsed; dead-letter its job after too many lost workers.

    Returns "dead", "resume", "cancelled" (a cancel was asked for while the run was alive: the job ends cancelled
    now, as its worker would have done) or "ended" (the job had already ended: nothing to wake)."""
    overran = (run.error or {}).get("code") == "stage_timeout"   # its own worker gave the lease up (leases.py)
    run.status = RunStatus.EXPIRED
    run.finished_at = utcnow()
    if not overran:
        run.error = {"code": "lease_expired", "message": f"worker {run.worker} stopped renewing its lease"}
    if job.is_terminal:
        log.warning("lease_expired", job_id=job.id, stage=run.stage, worker=run.worker, job_status=job.status)
        return "ended"
    if job.cancel_requested:
        log.warning("lease_expired", job_id=job.id, stage=run.stage, worker=run.worker, cancelled=True)
        _finish_cancelled(job, f"cancelled during {run.stage}")
        return "cancelled"
    losses = sum(1 for r in job.stage_runs if r.stage == run.stage and r.status == RunStatus.EXPIRED)
    log.warning("lease_expired", job_id=job.id, stage=run.stage, worker=run.worker, losses=losses, overran=overran)
    if losses >= settings.max_lease_losses:
        job.status = JobStatus.DEAD
        why = (run.error["message"] + f" ({losses} attempts lost)" if overran else
               f"stage '{run.stage}' lost its worker {losses} times (killed, out of memory or stopped answering)")
        job.error = {"code": "dead_letter", "stage": run.stage,
                     "message": f"{why}; look at the workers' logs, then `handouts retry` the job"}
        job.message = f"dead at {run.stage}: {job.error['message']}"
        job.finished_at = utcnow()
        return "dead"
    job.message = (f"{run.stage}: it ran past its time limit; resuming" if overran
                   else f"{run.stage}: its worker stopped; resuming")
    return "resume"


def _attempt(rt: Ports, job_id: str, stage: str, run_id: int, attempt: int, facts: dict,
             done: dict[str, dict]) -> None:
    settings = rt.settings
    workdir = settings.work_dir / job_id
    workdir.mkdir(parents=True, exist_ok=True)
    last_write = [0.0]

    def report(fraction: float, message: str) -> None:
        pct = _overall(rt.stages, stage, fraction)
        rt.notify_progress(job_id, stage, pct, message)
        now = time.monotonic()
        if now - last_write[0] < 0.5 and fraction < 1.0:
            return  # progress rows are cheap to skip and costly to write many times a second
        last_write[0] = now
        try:
            with rt.transaction() as s:
                if _owned(s, run_id, rt.leases.owner) is None:
                    return
                job = s.get(Job, job_id)
                job.progress = pct
                job.message = f"{stage}: {message}" if message else stage
        except DBAPIError as e:  # progress is best effort: a database blip must not fail the stage
            log.warning("progress_not_saved", error=error_name(e))
            return
        rt.emit(job_id, "progress")

    def cancel_requested() -> bool:
        if rt.leases.lost(run_id):
            raise LeaseLost(job_id, stage)
        try:
            with rt.sessions() as s:
                return bool(s.get(Job, job_id).cancel_requested)
        except DBAPIError as e:
            log.warning("cancel_check_failed", error=error_name(e))
            return False

    ctx = StageContext(job_id=job_id, stage=stage, settings=settings, storage=rt.storage, workdir=workdir, ai=rt.ai,
                       panopto=getattr(rt, "panopto", None), outputs=done, report=report, cancel_requested=cancel_requested,
                       deadline=time.monotonic() + settings.stage_timeout(stage), log=log, **facts)
    started = time.monotonic()
    fn = rt.stages[stage_index(rt.stages, stage)].fn
    log.info("stage_started", attempt=attempt)
    try:
        output = as_checkpoint(fn(ctx))
    except LeaseLost:
        # another worker owns this stage now; whatever we stored may be what it relies on, so nothing is removed
        log.warning("stage_abandoned", reason="the lease was lost (reaped or released)")
        return
    except Cancelled:
        _discard(ctx)
        ended = _patiently(rt, lambda s: _cancelled(s, job_id, stage, run_id, rt.leases.owner, started))
        if ended:
            log.info("stage_cancelled")
            rt.emit(job_id, "cancelled")
        return
    except HandoutsError as e:
        _discard(ctx)
        _failed(rt, job_id, stage, run_id, attempt, started, e)
        return
    except OSError as e:  # the worker's disk or folders, not the input: a retry may find room again
        _discard(ctx)
        where = f" ({e.filename})" if e.filename else ""
        err = StageFailed(stage, f"file system error in stage '{stage}': {e.strerror or e}{where}; check the free "
                          "space and permissions of HANDOUTS_DATA_DIR", retryable=True)
        _failed(rt, job_id, stage, run_id, attempt, started, err)
        return
    except Exception as e:  # a bug, not a user error: record it on the job so nobody waits forever
        _discard(ctx)
        log.error("stage_crashed", error=repr(e), traceback=traceback.format_exc())
        err = StageFailed(stage, f"internal error in stage '{stage}': {type(e).__name__}: {e}", retryable=False)
        _failed(rt, job_id, stage, run_id, attempt, started, err)
        return

    def commit(s) -> tuple[bool, str | None]:
        run = _owned(s, run_id, rt.leases.owner)
        if run is None:
            return False, None
        _close(run, RunStatus.SUCCEEDED, started)
        run.output = output
        job = s.get(Job, job_id)
        new_names = {a["name"] for a in ctx.artifacts}
        for old in [x for x in job.artifacts if x.name in new_names or x.stage == stage]:
            job.artifacts.remove(old)  # a re-run replaces what the stage made before: one artifact per name
        s.flush()
        for a in ctx.artifacts:
            job.artifacts.append(Artifact(job_id=job_id, stage=stage, **a))
        job.warnings = list(dict.fromkeys([*(job.warnings or []), *ctx.warnings]))
        if stage == "fetch" and output:
            job.source_sha256 = output.get("sha256")
            if (job.options or {}).get("sealed_source"):  # fetched: the credentialed link is not needed again
                job.options = {k: v for k, v in job.options.items() if k != "sealed_source"}
        if output and output.get("title"):
            job.title = output["title"]
        job.progress = _overall(rt.stages, stage, 1.0)
        job.message = f"{stage}: done"
        nxt = _next_stage(rt.stages, stage)
        if nxt is None:
            _finish(job)
        return True, nxt

    ours, nxt = _patiently(rt, commit)  # a checkpoint made while the database was away lands when it returns
    if not ours:
        log.warning("stage_abandoned", reason="finished after its lease was taken over; the other run counts")
        return
    if nxt is None:
        shutil.rmtree(workdir, ignore_errors=True)
    log.info("stage_succeeded", seconds=round(time.monotonic() - started, 3))
    rt.emit(job_id, "progress" if nxt is not None else "finished")
    if nxt is not None:
        _wake(rt, job_id, nxt)


def _wake(rt: Ports, job_id: str, stage: str | None, delay: float = 0.0) -> None:
    """Queue a stage; when the queue is away the job is left for the reaper, which wakes stalled jobs."""
    try:
        rt.enqueue_stage(job_id, stage, delay=delay)
    except Exception as e:  # Redis down, SQLite queue locked: the job row still says where it is
        log.warning("wake_up_deferred", job_id=job_id, stage=stage, error=f"{type(e).__name__}: {e}")


def _patiently(rt: Ports, work):
    """Run `work(session)` in a transaction, retrying while the database is unreachable (up to a limit)."""
    deadline = time.monotonic() + rt.settings.db_outage_seconds
    delay = 0.5
    while True:
        try:
            with rt.transaction() as s:
                return work(s)
        except DBAPIError as e:
            if not unreachable(e) or time.monotonic() > deadline:
                raise
            log.warning("database_unavailable", error=error_name(e), retry_in=delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def _owned(s, run_id: int, owner: str) -> StageRun | None:
    """The run, locked, if it is still running under this worker's lease; None when someone took it over."""
    run = locked(s, StageRun, run_id)
    if run is None or run.status != RunStatus.RUNNING or run.worker != owner:
        return None
    return run


def _next_stage(stages, stage: str) -> str | None:
    i = stage_index(stages, stage)
    return stages[i + 1].name if i + 1 < len(stages) else None


def _discard(ctx: StageContext) -> None:
    """Remove files a failed attempt put in storage, so no half-made artifact is left behind."""
    for key in ctx.created_keys:
        try:
            ctx.storage.delete(key)
        except HandoutsError as e:
            log.warning("cleanup_failed", key=key, error=e.message)


def _close(run: StageRun, status: str, started: float) -> StageRun:
    run.status = status
    run.finished_at = utcnow()
    run.seconds = round(time.monotonic() - started, 3)
    return run


def _cancelled(s, job_id: str, stage: str, run_id: int, owner: str, started: float) -> bool:
    run = _owned(s, run_id, owner)
    if run is None:
        return False
    _close(run, RunStatus.CANCELLED, started)
    _finish_cancelled(s.get(Job, job_id), f"cancelled during {stage}")
    return True


def _failed(rt: Ports, job_id: str, stage: str, run_id: int, attempt: int, started: float,
            err: HandoutsError) -> None:
    delay = rt.settings.stage_retry_delay * (2 ** (attempt - 1))

    def record(s) -> bool | None:
        run = _owned(s, run_id, rt.leases.owner)
        if run is None:
            return None
        _close(run, RunStatus.FAILED, started)
        run.error = err.as_dict()
        job = s.get(Job, job_id)
        failures = sum(1 for r in job.stage_runs if r.stage == stage and r.status == RunStatus.FAILED)
        retry = err.retryable and failures <= rt.settings.stage_retry_limit(stage)
        if retry:
            job.message = f"{stage}: {err.message} (retrying in {delay:.0f} s)"
        else:
            job.status = JobStatus.FAILED
            job.error = {**err.as_dict(), "stage": stage}
            job.message = f"failed at {stage}: {err.message}"
            job.finished_at = utcnow()
        return retry

    retry = _patiently(rt, record)
    if retry is None:
        log.warning("stage_abandoned", reason="failed after its lease was taken over; the other run counts")
        return
    log.warning("stage_failed", error=err.message, code=err.code, retrying=retry, attempt=attempt)
    rt.emit(job_id, "progress" if retry else "failed")
    if retry:
        _wake(rt, job_id, stage, delay)


def _finish(job: Job) -> None:
    job.status = JobStatus.COMPLETED_WITH_WARNINGS if job.warnings else JobStatus.COMPLETED
    job.stage = None
    job.progress = 100.0
    job.message = "done" + (f" with {len(job.warnings)} warning(s)" if job.warnings else "")
    job.finished_at = utcnow()


def _finish_cancelled(job: Job, message: str) -> None:
    job.status = JobStatus.CANCELLED
    job.message = message
    job.finished_at = utcnow()
