"""Killed and doubled workers over PostgreSQL and Redis: each job still finishes exactly once."""

from __future__ import annotations

import uuid
from collections import Counter

from pipeline.models import JobStatus
from tests.fakes.held_worker import HeldWorld


def _world(tmp_path, postgres_url, redis_url):
    return HeldWorld(tmp_path, DATABASE_URL=postgres_url, REDIS_URL=redis_url,
                     HANDOUTS_QUEUE_NAME=f"held-{uuid.uuid4().hex[:8]}")


def test_sigkill_inside_a_stage_with_postgres_and_redis(tmp_path, postgres_url, redis_url):
    import os
    import signal

    w = _world(tmp_path, postgres_url, redis_url)
    try:
        w.hold.touch()
        [job_id] = w.submit()
        a = w.start()
        # claimed in the store and its body begun, so the kill lands inside the stage
        assert w.wait(lambda: ("b", "running") in w.runs(job_id) and "b" in w.started()), w.runs(job_id)
        os.kill(a.pid, signal.SIGKILL)
        a.wait()
        w.hold.unlink()
        w.start()
        assert w.wait(lambda: w.job(job_id).status == JobStatus.COMPLETED), w.runs(job_id)
        runs = w.runs(job_id)
        assert Counter(s for s, st in runs if st == "succeeded") == {"a": 1, "b": 1, "c": 1}
        assert ("b", "expired") in runs and w.started() == ["a", "b", "b", "c"]
    finally:
        err = w.close()
    assert "Traceback" not in err, err[-3000:]


def test_two_workers_and_duplicate_wake_ups_with_postgres_and_redis(tmp_path, postgres_url, redis_url):
    w = _world(tmp_path, postgres_url, redis_url)
    try:
        ids = w.submit(8)
        for job_id in ids:
            w.rt.enqueue(job_id)
            w.rt.enqueue_stage(job_id, "a")
        w.start()
        w.start()
        assert w.wait(lambda: all(w.job(j).status == JobStatus.COMPLETED for j in ids), timeout=90)
        for job_id in ids:
            assert Counter(s for s, _ in w.runs(job_id)) == {"a": 1, "b": 1, "c": 1}, w.runs(job_id)
    finally:
        err = w.close()
    assert "Traceback" not in err and "UniqueViolation" not in err, err[-3000:]
