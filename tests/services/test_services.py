"""The production parts for real: PostgreSQL store, Redis queue with worker threads, S3 storage."""

from __future__ import annotations

import time
import urllib.request
import uuid

import boto3
import pytest

from pipeline.context import StageDef
from pipeline.errors import StorageError
from pipeline.jobs import submit_job
from pipeline.models import Job, JobStatus
from pipeline.worker import Worker
from handouts.wiring import open_runtime
from pipeline.storage import S3Storage, make_storage


def _stages(calls):
    def make(name):
        def fn(ctx):
            calls.append(name)
            p = ctx.workdir / f"{name}.txt"
            p.write_text(name * 100)
            ctx.save_artifact(p, "test")
            return {"name": name}
        return fn
    return tuple(StageDef(n, make(n), 1) for n in ("a", "b"))


def _wait(rt, job_id, timeout=60) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with rt.sessions() as s:
            job = s.get(Job, job_id)
            if job.is_terminal:
                _ = job.artifacts, job.stage_runs
                return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_postgres_migrations_and_a_job(postgres_url, make_settings):
    from handouts.schema import upgrade
    from pipeline import db

    calls = []
    rt = open_runtime(make_settings(DATABASE_URL=postgres_url), immediate=True, stages=_stages(calls))
    assert db.schema_revision(rt.engine) == "0009"
    upgrade(rt.engine)  # a second upgrade is a no-op
    with rt.transaction() as s:
        job_id = submit_job(s, rt.enqueue, source="x.mp4", tenant="uni", owner="u1",
                            idempotency_key=f"k-{uuid.uuid4()}").id
    job = _wait(rt, job_id)
    assert job.status == JobStatus.COMPLETED and calls == ["a", "b"]
    assert rt.engine.dialect.name == "postgresql"
    rt.close()


def test_redis_queue_with_worker_threads_and_postgres(postgres_url, redis_url, make_settings):
    calls = []
    settings = make_settings(DATABASE_URL=postgres_url, REDIS_URL=redis_url,
                             HANDOUTS_QUEUE_NAME=f"handouts-test-{uuid.uuid4().hex[:8]}")
    rt = open_runtime(settings, stages=_stages(calls))
    consumer = Worker(rt, 2).start()
    try:
        ids = []
        for i in range(4):
            with rt.transaction() as s:
                ids.append(submit_job(s, rt.enqueue, source=f"x{i}.mp4").id)
        jobs = [_wait(rt, i) for i in ids]
        assert all(j.status == JobStatus.COMPLETED for j in jobs)
        assert sorted(calls) == ["a"] * 4 + ["b"] * 4
    finally:
        consumer.stop()
        rt.huey.flush()
        rt.close()


@pytest.fixture
def bucket(s3_endpoint):
    name = f"handouts-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=name)
    return name


def test_s3_storage_round_trip_and_job(s3_endpoint, bucket, make_settings, tmp_path):
    settings = make_settings(HANDOUTS_STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint,
                             AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", S3_PREFIX="handouts")
    store = make_storage(settings)
    assert isinstance(store, S3Storage) and "answers" in store.check()
    src = tmp_path / "f.bin"
    src.write_bytes(b"x" * 10_000)
    stored = store.put_file("t/a/jobs/1/f.bin", src)
    assert stored.size == 10_000 and store.exists("t/a/jobs/1/f.bin")
    back = store.get_file("t/a/jobs/1/f.bin", tmp_path / "back.bin")
    assert back.read_bytes() == src.read_bytes()
    store.delete("t/a/jobs/1/f.bin")
    assert not store.exists("t/a/jobs/1/f.bin")
    with pytest.raises(StorageError, match="download"):
        store.get_file("t/a/jobs/1/missing", tmp_path / "m.bin")
    assert not (tmp_path / "m.bin").exists() and not (tmp_path / ".part-m.bin").exists()

    calls = []
    rt = open_runtime(settings, immediate=True, stages=_stages(calls))
    with rt.transaction() as s:
        job_id = submit_job(s, rt.enqueue, source="x.mp4", tenant="Uni of X").id
    job = _wait(rt, job_id)
    assert job.status == JobStatus.COMPLETED
    keys = [a.storage_key for a in job.artifacts]
    assert keys == [f"t/Uni-of-X/jobs/{job_id}/a.txt", f"t/Uni-of-X/jobs/{job_id}/b.txt"]
    assert all(rt.storage.exists(k) for k in keys)
    rt.close()


def test_s3_missing_bucket_is_a_clear_error(s3_endpoint, make_settings):
    settings = make_settings(HANDOUTS_STORAGE="s3", S3_BUCKET="no-such-bucket", S3_ENDPOINT_URL=s3_endpoint,
                             AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    with pytest.raises(StorageError, match="no-such-bucket"):
        make_storage(settings).check()


def test_web_downloads_from_s3_leave_no_temp_files(s3_endpoint, bucket, make_settings, tmp_path, monkeypatch):
    import tempfile

    from handouts.app import create_app

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    settings = make_settings(HANDOUTS_STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint,
                             AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    rt = open_runtime(settings, immediate=True, stages=_stages([]))
    with rt.transaction() as s:
        job_id = submit_job(s, rt.enqueue, source="x.mp4").id
    r = create_app(runtime=rt).test_client().get(f"/jobs/{job_id}/files/a.txt")
    assert r.status_code == 303, "the page hands out a presigned link; S3 serves the bytes"
    with urllib.request.urlopen(r.headers["Location"], timeout=10) as got:
        assert got.read() == b"a" * 100
    assert list((tmp_path / "tmp").iterdir()) == []
    rt.close()
