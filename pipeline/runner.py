"""Runs one stage of one job: resume from checkpoints, record the attempt, retry what is transient, move on."""

from __future__ import annotations

import shutil
import socket
import time
import traceback
import structlog

from .context import StageContext, stage_index
from .errors import Cancelled, HandoutsError, StageFailed
from .jobs import finished_stages
from .models import Artifact, Job, JobStatus, StageRun, utcnow
from .ports import Ports
from .results import as_checkpoint

log = structlog.get_logger("handouts.runner")
WORKER = f"{socket.gethostname()}"


def _overall(stages, stage: str, fraction: float) -> float:
    """Job progress in percent from a stage's own fraction, weighting stages by their typical cost."""
    i = stage_index(stages, stage)
    done = sum(s.weight for s in stages[:i])
    return round(100.0 * (done + stages[i].weight * fraction) / sum(s.weight for s in stages), 1)


def run_job_stage(rt: Ports, job_id: str, stage: str | None = None) -> None:
    """Run `stage` of a job (or its first unfinished stage), then queue the next one."""
    ended = None
    with rt.transaction() as s:
        job = s.get(Job, job_id)
        if job is None:
            log.warning("job_missing", job_id=job_id)
            return
        if job.is_terminal:
            return
        done = finished_stages(job)
        pending = [st.name for st in rt.stages if st.name not in done]
        if job.cancel_requested:
            _finish_cancelled(job, "cancelled")
            ended = "cancelled"
        elif not pending:
            _finish(job)
            ended = "finished"
        else:
            if stage is None or stage in done:
                stage = pending[0]
            attempt = 1 + sum(1 for r in job.stage_runs if r.stage == stage)
            run = StageRun(job_id=job_id, stage=stage, attempt=attempt, status="running", worker=WORKER)
            s.add(run)
            job.status = JobStatus.RUNNING
            job.stage = stage
            job.started_at = job.started_at or utcnow()
            job.message = f"{stage}: starting" + (f" (attempt {attempt})" if attempt > 1 else "")
            job.progress = _overall(rt.stages, stage, 0.0)
            s.flush()
            run_id = run.id
            facts = dict(tenant=job.tenant, source=job.source, options=dict(job.options or {}))
            superseded = [r for r in job.stage_runs if r.stage == stage and r.status == "superseded"]
            facts["previous"] = superseded[-1].output if superseded else None
    if ended:
        rt.emit(job_id, ended)
        return
    rt.emit(job_id, "progress")

    structlog.contextvars.bind_contextvars(job_id=job_id, stage=stage, tenant=facts["tenant"])
    try:
        _attempt(rt, job_id, stage, run_id, attempt, facts, done)
    finally:
        structlog.contextvars.unbind_contextvars("job_id", "stage", "tenant")


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
        with rt.transaction() as s:
            job = s.get(Job, job_id)
            job.progress = pct
            job.message = f"{stage}: {message}" if message else stage
        rt.emit(job_id, "progress")

    def cancel_requested() -> bool:
        with rt.sessions() as s:
            return bool(s.get(Job, job_id).cancel_requested)

    ctx = StageContext(job_id=job_id, stage=stage, settings=settings, storage=rt.storage, workdir=workdir, ai=rt.ai,
                       outputs=done, report=report, cancel_requested=cancel_requested,
                       deadline=time.monotonic() + settings.stage_timeout(stage), log=log, **facts)
    started = time.monotonic()
    fn = rt.stages[stage_index(rt.stages, stage)].fn
    log.info("stage_started", attempt=attempt)
    try:
        output = fn(ctx)
    except Cancelled:
        _discard(ctx)
        with rt.transaction() as s:
            _close_run(s, run_id, "cancelled", started)
            _finish_cancelled(s.get(Job, job_id), f"cancelled during {stage}")
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

    with rt.transaction() as s:
        run = _close_run(s, run_id, "succeeded", started)
        output = as_checkpoint(output)
        run.output = output
        job = s.get(Job, job_id)
        new_names = {a["name"] for a in ctx.artifacts}
        for old in [x for x in job.artifacts if x.name in new_names or x.stage == stage]:
            job.artifacts.remove(old)  # a re-run replaces what the stage made before
        s.flush()
        for a in ctx.artifacts:
            job.artifacts.append(Artifact(job_id=job_id, stage=stage, **a))
        job.warnings = list(dict.fromkeys([*(job.warnings or []), *ctx.warnings]))
        if stage == "fetch" and output:
            job.source_sha256 = output.get("sha256")
        if output and output.get("title"):
            job.title = output["title"]
        job.progress = _overall(rt.stages, stage, 1.0)
        job.message = f"{stage}: done"
        nxt = _next_stage(rt.stages, stage)
        if nxt is None:
            _finish(job)
            shutil.rmtree(workdir, ignore_errors=True)
    log.info("stage_succeeded", seconds=round(time.monotonic() - started, 3))
    rt.emit(job_id, "progress" if nxt is not None else "finished")
    if nxt is not None:
        rt.enqueue_stage(job_id, nxt)


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


def _close_run(s, run_id: int, status: str, started: float) -> StageRun:
    run = s.get(StageRun, run_id)
    run.status = status
    run.finished_at = utcnow()
    run.seconds = round(time.monotonic() - started, 3)
    return run


def _failed(rt: Ports, job_id: str, stage: str, run_id: int, attempt: int, started: float,
            err: HandoutsError) -> None:
    retry = err.retryable and attempt <= rt.settings.stage_retry_limit(stage)
    delay = rt.settings.stage_retry_delay * (2 ** (attempt - 1))
    with rt.transaction() as s:
        run = _close_run(s, run_id, "failed", started)
        run.error = err.as_dict()
        job = s.get(Job, job_id)
        if retry:
            job.message = f"{stage}: {err.message} (retrying in {delay:.0f} s)"
        else:
            job.status = JobStatus.FAILED
            job.error = {**err.as_dict(), "stage": stage}
            job.message = f"failed at {stage}: {err.message}"
            job.finished_at = utcnow()
    log.warning("stage_failed", error=err.message, code=err.code, retrying=retry, attempt=attempt)
    rt.emit(job_id, "progress" if retry else "failed")
    if retry:
        rt.enqueue_stage(job_id, stage, delay=delay)


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
