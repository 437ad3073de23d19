"""Outages are weather: PostgreSQL connections killed and Redis restarted under running jobs."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from pipeline.models import JobStatus
from tests.fakes.held_worker import HeldWorld


def _kill_connections(postgres_url: str) -> int:
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
                           if postgres_url.startswith("postgresql://") else postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        n = c.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    engine.dispose()
    return int(n or 0)


def test_postgres_connections_killed_mid_stage(tmp_path, postgres_url, redis_url):
    w = HeldWorld(tmp_path, DATABASE_URL=postgres_url, REDIS_URL=redis_url,
                  HANDOUTS_QUEUE_NAME=f"outage-{uuid.uuid4().hex[:8]}")
    try:
        w.hold.touch()
        [job_id] = w.submit()
        w.start()
        assert w.wait(lambda: ("b", "running") in w.runs(job_id))
        assert _kill_connections(postgres_url) >= 1
        time.sleep(0.5)
        _kill_connections(postgres_url)  # twice, so pooled connections of every thread are gone
        w.hold.unlink()
        assert w.wait(lambda: w.job(job_id).status == JobStatus.COMPLETED, timeout=60), w.runs(job_id)
        assert Counter(s for s, st in w.runs(job_id) if st == "succeeded") == {"a": 1, "b": 1, "c": 1}
    finally:
        err = w.close()
    assert "stage_crashed" not in err, err[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(port: int) -> subprocess.Popen:
    """A private redis-server (nothing kept on disk), so stopping it touches no other test."""
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_redis_stopped_and_restarted_across_stage_ends(tmp_path, postgres_url):
    port = _free_port()
    redis = _redis(port)
    w = HeldWorld(tmp_path, DATABASE_URL=postgres_url, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    try:
        w.hold.touch()
        ids = w.submit(2)
        w.start()
        assert w.wait(lambda: ("b", "running") in w.runs(ids[0]) or ("b", "running") in w.runs(ids[1]))
        redis.terminate()  # Redis keeps nothing: every queued wake-up is gone with it
        redis.wait()
        w.hold.unlink()  # stages end while the queue is away; their next wake-ups cannot be sent
        [late] = w.submit()  # a job submitted while Redis is down is still recorded
        time.sleep(3)
        redis = _redis(port)
        ids.append(late)
        assert w.wait(lambda: all(w.job(j).status == JobStatus.COMPLETED for j in ids), timeout=90), \
            [w.runs(j) for j in ids]
        for j in ids:
            assert Counter(s for s, st in w.runs(j) if st == "succeeded") == {"a": 1, "b": 1, "c": 1}
    finally:
        err = w.close()
        redis.terminate()
        redis.wait()
    assert "stage_crashed" not in err, err[-3000:]
