"""Leases, the reaper, and operators' cancel and retry on jobs whose worker is gone (no worker processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.context import StageDef
from pipeline.jobs import cancel_job, retry_job, submit_job
from pipeline.models import Job, JobStatus, RunStatus, StageRun, utcnow
from pipeline.reaper import reap


def _ok(ctx):
    return {"ok": True}


@pytest.fixture
def rt(make_settings):
    from handouts.wiring import open_runtime

    runtime = open_runtime(make_settings(HANDOUTS_STALL_SECONDS=1, HANDOUTS_MAX_LEASE_LOSSES=2),
                           stages=(StageDef("a", _ok, 1), StageDef("b", _ok, 1)))
    woken: list[tuple[str, str | None]] = []
    runtime.enqueue_stage = lambda job_id, stage, delay=0.0: woken.append((job_id, stage))
    runtime.woken = woken
    yield runtime
    runtime.close()


def _orphan(rt, *, lapsed: bool = True) -> str:
    """A job whose worker died inside stage a: its run still says running."""
    with rt.transaction() as s:
        job = submit_job(s, lambda _id: None, source="x.mp4")
        job.status = JobStatus.RUNNING
        job.stage = "a"
        job.started_at = utcnow()
        ends = utcnow() + (timedelta(seconds=-5) if lapsed else timedelta(minutes=5))
        job.stage_runs.append(StageRun(stage="a", status=RunStatus.RUNNING, worker="gone:1:x", lease_expires_at=ends))
        s.flush()
        return job.id


def _job(rt, job_id) -> Job:
    with rt.sessions() as s:
        job = s.get(Job, job_id)
        _ = job.stage_runs
        return job


def test_the_reaper_resumes_a_dead_workers_stage_and_leaves_live_ones_alone(rt):
    dead, alive = _orphan(rt), _orphan(rt, lapsed=False)
    report = reap(rt)
    assert report.resumed == [(dead, "a")] and rt.woken == [(dead, "a")]
    assert [r.status for r in _job(rt, dead).stage_runs] == [RunStatus.EXPIRED]
    assert [r.status for r in _job(rt, alive).stage_runs] == [RunStatus.RUNNING]
    assert not reap(rt).resumed, "a second pass finds nothing more"


def test_a_stage_losing_its_worker_too_often_is_dead_lettered(rt):
    job_id = _orphan(rt)
    reap(rt)
    with rt.transaction() as s:  # the resumed run's worker dies too
        s.add(StageRun(job_id=job_id, stage="a", status=RunStatus.RUNNING, worker="gone:2:y",
                       lease_expires_at=utcnow() - timedelta(seconds=1)))
    report = reap(rt)
    assert report.dead == [job_id]
    job = _job(rt, job_id)
    assert job.status == JobStatus.DEAD and job.error["code"] == "dead_letter"
    assert job.is_terminal and not reap(rt), "a dead job is not woken again"


def test_lost_wake_ups_are_found_once_per_stall_period(rt):
    with rt.transaction() as s:
        job_id = submit_job(s, lambda _id: None, source="x.mp4").id
    assert reap(rt).woken == [], "too fresh to call stalled"
    with rt.transaction() as s:
        s.get(Job, job_id).updated_at = utcnow() - timedelta(seconds=5)
    assert reap(rt).woken == [job_id] and rt.woken == [(job_id, None)]
    assert reap(rt).woken == [], "woken once, then left a stall period"


def test_cancel_works_on_a_job_whose_worker_is_gone_and_it_stays_cancelled(rt):
    job_id = _orphan(rt)
    with rt.transaction() as s:
        cancel_job(s, job_id)
    job = _job(rt, job_id)
    assert job.status == JobStatus.CANCELLED and [r.status for r in job.stage_runs] == [RunStatus.CANCELLED]
    with rt.transaction() as s:
        s.get(Job, job_id).updated_at = utcnow() - timedelta(hours=1)
    assert not reap(rt) and rt.woken == []


def test_cancel_of_a_live_stage_waits_for_its_worker(rt):
    job_id = _orphan(rt, lapsed=False)
    with rt.transaction() as s:
        cancel_job(s, job_id)
    job = _job(rt, job_id)
    assert job.status == JobStatus.RUNNING and job.cancel_requested, "the worker stops at its next check"


def test_retry_takes_over_a_job_whose_lease_lapsed(rt):
    job_id = _orphan(rt)
    queued = []
    with rt.transaction() as s:
        retry_job(s, queued.append, job_id)
    job = _job(rt, job_id)
    assert queued == [job_id] and job.status == JobStatus.QUEUED
    assert [r.status for r in job.stage_runs] == [RunStatus.EXPIRED]
    live = _orphan(rt, lapsed=False)
    with rt.transaction() as s, pytest.raises(Exception, match="is running"):
        retry_job(s, queued.append, live)


def test_the_heartbeat_renews_and_notices_a_lease_taken_away(rt):
    job_id = _orphan(rt, lapsed=False)
    run_id = _job(rt, job_id).stage_runs[0].id
    rt.leases.owner = "gone:1:x"  # this process is that worker
    with rt.transaction() as s:
        s.get(StageRun, run_id).lease_expires_at = utcnow() + timedelta(seconds=2)
    before = _job(rt, job_id).stage_runs[0].lease_expires_at
    rt.leases.hold(run_id)
    rt.leases.renew()
    assert _job(rt, job_id).stage_runs[0].lease_expires_at > before and not rt.leases.lost(run_id)
    with rt.transaction() as s:
        s.get(StageRun, run_id).status = RunStatus.EXPIRED  # a reaper elsewhere took it
    rt.leases.renew()
    assert rt.leases.lost(run_id)
    rt.leases.drop(run_id)


def test_a_cancel_asked_before_the_worker_died_ends_the_job_cancelled_not_revived(rt):
    job_id = _orphan(rt, lapsed=False)
    with rt.transaction() as s:
        cancel_job(s, job_id)
        s.get(Job, job_id).stage_runs[0].lease_expires_at = utcnow() - timedelta(seconds=1)  # then its worker died
    report = reap(rt)
    assert report.cancelled == [job_id] and not report.resumed and not report.dead and rt.woken == []
    job = _job(rt, job_id)
    assert job.status == JobStatus.CANCELLED and [r.status for r in job.stage_runs] == [RunStatus.EXPIRED]
    with rt.transaction() as s:
        s.get(Job, job_id).updated_at = utcnow() - timedelta(hours=1)
    assert not reap(rt) and rt.woken == [], "a cancelled job is never woken again"


def test_a_cancel_wins_over_the_dead_letter_when_the_last_attempt_dies(rt):
    job_id = _orphan(rt)
    reap(rt)  # the first loss: resumed
    with rt.transaction() as s:
        s.add(StageRun(job_id=job_id, stage="a", status=RunStatus.RUNNING, worker="gone:2:y",
                       lease_expires_at=utcnow() + timedelta(minutes=5)))
    with rt.transaction() as s:
        cancel_job(s, job_id)
        s.get(Job, job_id).stage_runs[-1].lease_expires_at = utcnow() - timedelta(seconds=1)
    report = reap(rt)
    assert report.cancelled == [job_id] and report.dead == []
    assert _job(rt, job_id).status == JobStatus.CANCELLED


def test_a_stray_running_run_of_an_ended_job_is_expired_and_the_job_left_alone(rt):
    job_id = _orphan(rt)
    with rt.transaction() as s:
        job = s.get(Job, job_id)
        job.status, job.message = JobStatus.CANCELLED, "cancelled at a"
    report = reap(rt)
    assert not report.resumed and not report.dead and not report.cancelled and rt.woken == []
    job = _job(rt, job_id)
    assert job.status == JobStatus.CANCELLED and job.message == "cancelled at a"
    assert [r.status for r in job.stage_runs] == [RunStatus.EXPIRED]


def test_a_wake_up_after_a_cancelled_worker_died_does_not_run_the_stage(rt):
    from pipeline.runner import run_job_stage

    job_id = _orphan(rt, lapsed=False)
    with rt.transaction() as s:
        cancel_job(s, job_id)
        s.get(Job, job_id).stage_runs[0].lease_expires_at = utcnow() - timedelta(seconds=1)
    run_job_stage(rt, job_id, "a")  # a wake-up arrives before the reaper looks
    job = _job(rt, job_id)
    assert job.status == JobStatus.CANCELLED and [r.stage for r in job.stage_runs] == ["a"]
