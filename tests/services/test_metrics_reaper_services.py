"""The figures and the reaper's cancel rule on PostgreSQL and Redis (the queries SQLite may forgive)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from pipeline.context import StageDef
from pipeline.jobs import cancel_job, submit_job
from pipeline.metrics import read_figures
from pipeline.models import Job, JobStatus, RunStatus, StageRun, utcnow
from pipeline.reaper import reap
from tests.fakes.pg import scratch_database


@pytest.fixture
def own_postgres(postgres_url):
    """A database of this test's own next to the session's (test_migrations wants the session's one fresh)."""
    with scratch_database(postgres_url, "handouts_figures") as url:
        yield url


def _stages():
    return (StageDef("a", lambda ctx: {"ok": 1}, 1),)


def test_figures_and_a_cancel_before_a_worker_death_on_postgres_and_redis(own_postgres, redis_url, make_settings):
    from handouts.wiring import open_runtime

    settings = make_settings(DATABASE_URL=own_postgres, REDIS_URL=redis_url, HANDOUTS_MAX_LEASE_LOSSES=2,
                             HANDOUTS_QUEUE_NAME=f"handouts-test-{uuid.uuid4().hex[:8]}")
    rt = open_runtime(settings, stages=_stages())
    try:
        with rt.transaction() as s:
            resumed = submit_job(s, lambda _id: None, source="r.mp4")
            resumed.status = JobStatus.COMPLETED
            s.flush()
            s.add(StageRun(job_id=resumed.id, stage="a", attempt=1, status=RunStatus.EXPIRED, worker="gone"))
            s.add(StageRun(job_id=resumed.id, stage="a", attempt=2, status=RunStatus.SUCCEEDED, seconds=3.0))
            doomed = submit_job(s, lambda _id: None, source="d.mp4")
            doomed.status = JobStatus.RUNNING
            s.flush()
            s.add(StageRun(job_id=doomed.id, stage="a", attempt=1, status=RunStatus.RUNNING, worker="gone:1",
                           lease_expires_at=utcnow() + timedelta(minutes=5)))
            doomed_id = doomed.id
        with rt.transaction() as s:
            cancel_job(s, doomed_id)  # the worker is alive: it would stop at its next check, but it dies first
            s.get(Job, doomed_id).stage_runs[0].lease_expires_at = utcnow() - timedelta(seconds=1)
        report = reap(rt)
        assert report.cancelled == [doomed_id] and not report.resumed and not report.dead
        rt.enqueue("wake-up")
        with rt.sessions() as s:
            assert s.get(Job, doomed_id).status == JobStatus.CANCELLED
            f = read_figures(s, len(rt.huey))
        assert f.lease_expiries == 2 and f.revivals == 1 and f.dead_letters == 0
        assert f.outcomes[JobStatus.CANCELLED] == 1 and f.outcomes[JobStatus.COMPLETED] == 1
        assert f.queue_depth == 1 and f.stage_seconds["a"]["count"] == 1
    finally:
        rt.huey.flush()
        rt.close()
