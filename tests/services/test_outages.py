"""Outages are weather: PostgreSQL connections killed under a running job."""

from __future__ import annotations

import time
import uuid
from collections import Counter

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
