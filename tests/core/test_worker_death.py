"""Workers killed, stopped and doubled: every job still finishes exactly once (real worker processes)."""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest

from pipeline.models import JobStatus
from tests.fakes.held_worker import HeldWorld


@pytest.fixture
def world(tmp_path):
    worlds = []

    def build(**settings):
        w = HeldWorld(tmp_path / f"w{len(worlds)}", **settings)
        worlds.append(w)
        return w

    yield build
    for w in worlds:
        err = w.close()
        assert "Traceback" not in err and "IntegrityError" not in err, err[-3000:]


def _running(w, job_id, stage):
    """The stage is claimed in the store and its body has begun (it wrote its note): a kill now lands inside it."""
    return (stage, "running") in w.runs(job_id) and stage in w.started()


def check_sigkill_mid_stage(w):
    """A worker killed inside stage b: a fresh worker resumes b, and each stage succeeds exactly once."""
    w.hold.touch()
    [job_id] = w.submit()
    a = w.start()
    assert w.wait(lambda: _running(w, job_id, "b")), w.runs(job_id)
    os.kill(a.pid, signal.SIGKILL)
    a.wait()
    w.hold.unlink()
    w.start()
    assert w.wait(lambda: w.job(job_id).status == JobStatus.COMPLETED), (w.runs(job_id), w.job(job_id).message)
    runs = w.runs(job_id)
    assert Counter(s for s, st in runs if st == "succeeded") == {"a": 1, "b": 1, "c": 1}
    assert ("b", "expired") in runs
    assert w.started() == ["a", "b", "b", "c"]
    assert [a.name for a in w.job(job_id).artifacts] == ["b.txt"]


def test_sigkill_inside_a_stage(world):
    check_sigkill_mid_stage(world())


def test_sigterm_gives_the_stage_back_at_once(world):
    w = world()
    w.hold.touch()
    [job_id] = w.submit()
    a = w.start()
    assert w.wait(lambda: _running(w, job_id, "b"))
    a.send_signal(signal.SIGTERM)
    assert a.wait(timeout=20) == 0, "a stopped worker exits cleanly after its grace period"
    assert ("b", "released") in w.runs(job_id)
    w.hold.unlink()
    w.start()
    assert w.wait(lambda: w.job(job_id).status == JobStatus.COMPLETED, timeout=30)
    assert Counter(s for s, st in w.runs(job_id) if st == "succeeded") == {"a": 1, "b": 1, "c": 1}


def test_sigterm_lets_a_stage_finish_within_the_grace_period(world):
    w = world(HANDOUTS_SHUTDOWN_GRACE="30")
    w.hold.touch()
    [job_id] = w.submit()
    a = w.start()
    assert w.wait(lambda: _running(w, job_id, "b"))
    a.send_signal(signal.SIGTERM)
    w.hold.unlink()  # the stage ends during the grace period
    assert a.wait(timeout=40) == 0
    runs = w.runs(job_id)
    assert ("b", "succeeded") in runs and ("b", "released") not in runs
    assert ("c", "succeeded") not in runs, "a stopping worker takes no new task"
    w.start()
    assert w.wait(lambda: w.job(job_id).status == JobStatus.COMPLETED, timeout=30)
    assert w.started() == ["a", "b", "c"]


def test_duplicate_deliveries_and_two_workers_run_each_stage_once(world):
    w = world()
    ids = w.submit(6)
    for job_id in ids:  # Huey delivers the same wake-up again (a retry, a second enqueue)
        w.rt.enqueue(job_id)
        w.rt.enqueue_stage(job_id, "a")
    w.start()
    w.start()
    assert w.wait(lambda: all(w.job(j).status == JobStatus.COMPLETED for j in ids), timeout=90)
    for job_id in ids:
        runs = w.runs(job_id)
        assert Counter(s for s, _ in runs) == {"a": 1, "b": 1, "c": 1}, runs
    assert Counter(w.started()) == {"a": 6, "b": 6, "c": 6}


def test_a_lost_wake_up_is_found_by_the_reaper(world):
    from pipeline.jobs import submit_job

    w = world()
    with w.rt.transaction() as s:  # recorded while the queue was away: nobody was told
        job_id = submit_job(s, lambda _id: None, source="lost.mp4").id
    w.start()
    assert w.wait(lambda: w.job(job_id).status == JobStatus.COMPLETED, timeout=30)


def test_a_stage_that_keeps_killing_its_worker_is_dead_lettered(world):
    w = world(HANDOUTS_MAX_LEASE_LOSSES="2")
    w.hold.touch()
    [job_id] = w.submit()
    for k in range(1, 3):
        p = w.start()
        assert w.wait(lambda: w.runs(job_id)[-1:] == [("b", "running")] and
                      sum(1 for st, _ in w.runs(job_id) if st == "b") == k), w.runs(job_id)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    w.start()
    assert w.wait(lambda: w.job(job_id).status == JobStatus.DEAD, timeout=30), w.runs(job_id)
    job = w.job(job_id)
    assert "lost its worker 2 times" in job.error["message"] and job.error["code"] == "dead_letter"


def _errors(w, job_id, stage):
    return [r.error for r in w.job(job_id).stage_runs if r.stage == stage and r.error]


def test_a_hung_stage_past_its_limit_gives_its_lease_up_and_resumes(world):
    """A stage stuck where it never checks its time limit: its heartbeat stops renewing it, another run takes over."""
    w = world(HANDOUTS_STAGE_TIMEOUT="1", HANDOUTS_STAGE_OVERRUN_GRACE="0.5", HELD_STUCK="1")
    w.hold.touch()
    [job_id] = w.submit()
    w.start()
    assert w.wait(w.supervised(lambda: ("b", "expired") in w.runs(job_id)), timeout=30), w.runs(job_id)
    first = _errors(w, job_id, "b")[0]
    assert first["code"] == "stage_timeout" and "past its 1 s time limit" in first["message"]
    w.hold.unlink()  # whatever hung comes loose: a late run finds its lease gone and changes nothing
    assert w.wait(w.supervised(lambda: w.job(job_id).status == JobStatus.COMPLETED), timeout=30), w.runs(job_id)
    runs = w.runs(job_id)
    assert Counter(s for s, st in runs if st == "succeeded") == {"a": 1, "b": 1, "c": 1}, runs
    assert [a.name for a in w.job(job_id).artifacts] == ["b.txt"]


def test_a_stage_that_always_hangs_is_dead_lettered_with_the_reason(world):
    w = world(HANDOUTS_STAGE_TIMEOUT="1", HANDOUTS_STAGE_OVERRUN_GRACE="0.3", HANDOUTS_MAX_LEASE_LOSSES="2",
              HELD_STUCK="1")
    w.hold.touch()
    [job_id] = w.submit()
    w.start()
    assert w.wait(w.supervised(lambda: w.job(job_id).status == JobStatus.DEAD), timeout=60), w.runs(job_id)
    job = w.job(job_id)
    assert job.error["code"] == "dead_letter" and "ran past its 1 s time limit" in job.error["message"], job.error
    w.hold.unlink()  # the two stuck threads end; the close() below checks they leave no traceback


def test_a_worker_whose_stage_thread_stays_stuck_stops_itself_for_a_fresh_one(world):
    """Python cannot kill the hung thread; the worker stops as on SIGTERM and exits 70 so its manager restarts it."""
    from pipeline.worker import EXIT_STUCK

    w = world(HANDOUTS_STAGE_TIMEOUT="1", HANDOUTS_STAGE_OVERRUN_GRACE="0.5", HELD_STUCK="1")
    w.hold.touch()
    [job_id] = w.submit()
    proc = w.start()
    assert w.wait(lambda: proc.poll() is not None, timeout=30), w.runs(job_id)
    assert proc.returncode == EXIT_STUCK
    log = (w.tmp / "worker-0.log").read_text()
    assert "worker_restarting" in log and "still stuck" in log, log[-2000:]
    assert ("b", "expired") in w.runs(job_id) and w.job(job_id).status == JobStatus.RUNNING
    w.hold.unlink()
    w.start()  # the fresh worker (what Restart=on-failure starts) resumes the stage
    assert w.wait(lambda: w.job(job_id).status == JobStatus.COMPLETED, timeout=30), w.runs(job_id)
    runs = w.runs(job_id)
    assert Counter(s for s, st in runs if st == "succeeded") == {"a": 1, "b": 1, "c": 1}, runs
