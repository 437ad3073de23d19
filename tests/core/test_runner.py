"""The runner over stages made for the test: checkpoints, retries, cancellation, clean failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.context import StageDef
from pipeline.errors import Cancelled, NotAVideo, SourceUnavailable
from pipeline.jobs import cancel_job, retry_job, submit_job
from pipeline.models import Job, JobStatus
from handouts.wiring import open_runtime


class Script:
    """Stages whose behaviour each test scripts, recording every call."""

    def __init__(self):
        self.calls: list[str] = []
        self.fail: dict[str, list[Exception]] = {}

    def stage(self, name: str, output: dict | None = None, artifact: bool = False):
        def fn(ctx):
            self.calls.append(name)
            if artifact:
                p = ctx.workdir / f"{name}.txt"
                p.write_text(name)
                ctx.save_artifact(p, "test")
            errs = self.fail.get(name)
            if errs:
                raise errs.pop(0)
            ctx.progress(0.5, "half way")
            return {"name": name, "seen": sorted(ctx.outputs), **(output or {})}
        return fn


@pytest.fixture
def script():
    return Script()


@pytest.fixture
def rt(make_settings, script):
    stages = (StageDef("a", script.stage("a"), 1), StageDef("b", script.stage("b", artifact=True), 1),
              StageDef("c", script.stage("c", {"title": "T"}), 1))
    runtime = open_runtime(make_settings(HANDOUTS_STAGE_RETRIES=1), immediate=True, stages=stages)
    yield runtime
    runtime.close()


def submit(rt, **kw) -> str:
    with rt.transaction() as s:
        return submit_job(s, rt.enqueue, source="x.mp4", **kw).id


def load(rt, job_id) -> Job:
    with rt.sessions() as s:
        job = s.get(Job, job_id)
        _ = job.stage_runs, job.artifacts
        return job


def test_runs_every_stage_in_order_and_passes_outputs(rt, script):
    job = load(rt, submit(rt))
    assert script.calls == ["a", "b", "c"]
    assert job.status == JobStatus.COMPLETED and job.progress == 100.0 and job.title == "T"
    outs = {r.stage: r.output for r in job.stage_runs}
    assert outs["c"]["seen"] == ["a", "b"]
    assert [a.name for a in job.artifacts] == ["b.txt"]
    assert rt.storage.exists(job.artifacts[0].storage_key)


def test_transient_failure_is_retried_then_succeeds(rt, script):
    script.fail["b"] = [SourceUnavailable("http://x", "server said 503")]
    job = load(rt, submit(rt))
    assert job.status == JobStatus.COMPLETED
    assert [(r.stage, r.attempt, r.status) for r in job.stage_runs] == [
        ("a", 1, "succeeded"), ("b", 1, "failed"), ("b", 2, "succeeded"), ("c", 1, "succeeded")]


def test_permanent_failure_stops_keeps_records_and_leaves_no_files(rt, script):
    script.fail["b"] = [NotAVideo("x.mp4", "x.mp4 is a web page (HTML), not a video")]
    job = load(rt, submit(rt))
    assert job.status == JobStatus.FAILED
    assert job.error["stage"] == "b" and job.error["code"] == "not_a_video"
    assert "web page" in job.message
    assert [(r.stage, r.status) for r in job.stage_runs] == [("a", "succeeded"), ("b", "failed")]
    assert job.stage_runs[1].error["message"].startswith("x.mp4 is a web page")
    assert job.artifacts == []
    assert not list(Path(rt.settings.files_dir).rglob("b.txt")), "a failed stage's upload must be removed"


def test_retry_resumes_at_first_unfinished_stage(rt, script):
    script.fail["c"] = [NotAVideo("x", "bad"), ]
    job_id = submit(rt)
    assert load(rt, job_id).status == JobStatus.FAILED
    script.calls.clear()
    with rt.transaction() as s:
        retry_job(s, rt.enqueue, job_id)
    job = load(rt, job_id)
    assert script.calls == ["c"], "finished stages are never redone"
    assert job.status == JobStatus.COMPLETED and job.error is None


def test_bug_in_a_stage_fails_the_job_with_its_name(rt, script):
    script.fail["a"] = [ZeroDivisionError("division by zero")]
    job = load(rt, submit(rt))
    assert job.status == JobStatus.FAILED
    assert "internal error in stage 'a'" in job.error["message"] and "ZeroDivisionError" in job.error["message"]


def test_cancel_inside_a_stage(rt, script):
    script.fail["b"] = [Cancelled("job")]
    job = load(rt, submit(rt))
    assert job.status == JobStatus.CANCELLED and "during b" in job.message
    assert script.calls == ["a", "b"]


def test_cancel_before_start_and_cannot_cancel_twice(make_settings, script):
    from pipeline.errors import InputError

    rt = open_runtime(make_settings(), stages=(StageDef("a", script.stage("a"), 1),))  # queued, no worker
    job_id = submit(rt)
    with rt.transaction() as s:
        assert cancel_job(s, job_id).status == JobStatus.CANCELLED
    with rt.transaction() as s, pytest.raises(InputError, match="already cancelled"):
        cancel_job(s, job_id)
    rt.close()


def test_idempotency_key_returns_the_same_job(rt, script):
    a = submit(rt, idempotency_key="T1:trigger-1")
    b = submit(rt, idempotency_key="T1:trigger-1")
    assert a == b and script.calls == ["a", "b", "c"]


def test_enqueue_happens_only_after_commit(make_settings, script):
    seen = []
    rt = open_runtime(make_settings(), stages=(StageDef("a", script.stage("a"), 1),))
    rt.enqueue = lambda job_id: seen.append(job_id)
    with pytest.raises(RuntimeError):
        with rt.transaction() as s:
            submit_job(s, rt.enqueue, source="x.mp4")
            raise RuntimeError("rolled back")
    assert seen == []
    with rt.transaction() as s:
        job_id = submit_job(s, rt.enqueue, source="x.mp4").id
        assert seen == []
    assert seen == [job_id]
    rt.close()


def test_empty_source_is_refused(rt):
    from pipeline.errors import InputError

    with rt.transaction() as s, pytest.raises(InputError, match="no source given"):
        submit_job(s, rt.enqueue, source="  ")


def test_stage_timeout_is_reported(make_settings):
    import time

    def slow(ctx):
        time.sleep(0.05)
        ctx.check_cancel()
        return {}

    rt = open_runtime(make_settings(HANDOUTS_STAGE_TIMEOUT=0.01, HANDOUTS_STAGE_RETRIES=0), immediate=True,
                        stages=(StageDef("slides", slow, 1),))
    job = load(rt, submit(rt))
    assert job.status == JobStatus.FAILED and job.error["code"] == "stage_timeout"
    assert "HANDOUTS_STAGE_TIMEOUT_SLIDES" in job.error["message"]
    rt.close()


def test_sqlite_queue_and_a_consumer_thread_run_a_job(make_settings, script):
    """The embedded default end to end: SqliteHuey and a consumer in this process."""
    import time

    from pipeline.worker import Worker

    rt = open_runtime(make_settings(), stages=(StageDef("a", script.stage("a"), 1),
                                                 StageDef("b", script.stage("b"), 1)))
    consumer = Worker(rt, 1).start()
    try:
        job_id = submit(rt)
        deadline = time.monotonic() + 30
        while load(rt, job_id).status != JobStatus.COMPLETED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert load(rt, job_id).status == JobStatus.COMPLETED
    finally:
        consumer.stop()
        rt.close()


def test_notifiers_hear_every_move_after_commit(rt, script):
    heard = []

    class Recorder:
        def job_event(self, runtime, job_id, event):
            with runtime.sessions() as s:
                heard.append((event, s.get(Job, job_id).status))

    rt = open_runtime(rt.settings, immediate=True, stages=rt.stages, notifiers=[Recorder()])
    submit(rt)
    assert heard[0] == ("progress", JobStatus.RUNNING)
    assert heard[-1] == ("finished", JobStatus.COMPLETED)
    assert [e for e, _ in heard].count("finished") == 1


def test_a_failing_notifier_does_not_fail_the_job(rt, script):
    from pipeline.errors import SourceUnavailable as Down

    class Broken:
        def job_event(self, runtime, job_id, event):
            raise Down("https://slack.com/api/chat.update", "Slack answered 500")

    rt = open_runtime(rt.settings, immediate=True, stages=rt.stages, notifiers=[Broken()])
    assert load(rt, submit(rt)).status == JobStatus.COMPLETED


def test_a_second_notifier_of_one_kind_is_refused(rt):
    from pipeline.errors import ConfigError

    class Recorder:
        def job_event(self, runtime, job_id, event):
            pass

    with pytest.raises(ConfigError, match="one notifier per adapter"):
        open_runtime(rt.settings, immediate=True, stages=rt.stages, notifiers=[Recorder(), Recorder()])
    with pytest.raises(AttributeError):
        rt.notifiers.append(Recorder())  # a tuple: nothing joins after the process is wired


def test_retry_policy_per_stage(make_settings, script):
    script.fail["fetch"] = [SourceUnavailable("http://x", "503")] * 3
    script.fail["slides"] = [SourceUnavailable("http://x", "503")] * 2
    rt = open_runtime(make_settings(HANDOUTS_STAGE_RETRIES=5, HANDOUTS_STAGE_RETRIES_FETCH=0), immediate=True,
                        stages=(StageDef("slides", script.stage("slides"), 1), StageDef("fetch", script.stage("fetch"), 1)))
    job = load(rt, submit(rt))
    rt.close()
    attempts = [(r.stage, r.status) for r in job.stage_runs]
    assert attempts == [("slides", "failed"), ("slides", "failed"), ("slides", "succeeded"), ("fetch", "failed")]
    assert job.status == JobStatus.FAILED, "fetch may not be retried"


def test_a_full_disk_is_reported_as_such_and_retried(rt, script):
    import errno

    script.fail["b"] = [OSError(errno.ENOSPC, "No space left on device", "/data/work/x.png")] * 2
    job = load(rt, submit(rt))
    assert job.status == JobStatus.FAILED
    assert [(r.stage, r.status) for r in job.stage_runs][1:] == [("b", "failed"), ("b", "failed")]
    assert "No space left on device (/data/work/x.png)" in job.error["message"]
    assert "HANDOUTS_DATA_DIR" in job.error["message"]
