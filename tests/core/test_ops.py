"""/readyz and /metrics: what load balancers and Prometheus read; the same figures in `handouts doctor`."""

from __future__ import annotations

from pipeline.context import StageDef
from pipeline.jobs import submit_job


def _stages():
    return (StageDef("a", lambda ctx: {"ok": 1}, 1),)


def test_readyz_and_metrics(make_settings):
    from handouts.app import create_app
    from handouts.wiring import open_runtime

    rt = open_runtime(make_settings(), immediate=True, stages=_stages())
    with rt.transaction() as s:
        submit_job(s, rt.enqueue, source="x.mp4")
    client = create_app(runtime=rt).test_client()
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["checks"] == {"database": "ok", "queue": "ok", "storage": "ok"}
    text = client.get("/metrics").get_data(as_text=True)
    assert 'handouts_jobs{status="completed"} 1.0' in text
    assert 'handouts_stage_duration_seconds_count{stage="a"} 1.0' in text
    assert "handouts_lease_expiries 0.0" in text and "handouts_dead_letters 0.0" in text
    assert "handouts_oldest_queued_seconds 0.0" in text
    rt.close()


def test_readyz_names_what_is_down(make_settings):
    from handouts.app import create_app
    from handouts.wiring import open_runtime

    rt = open_runtime(make_settings(), immediate=True, stages=_stages())
    from sqlalchemy import create_engine

    rt.engine.dispose()
    rt.engine = create_engine("sqlite:////nonexistent/dir/x.db")  # the database goes away
    r = create_app(runtime=rt).test_client().get("/readyz")
    assert r.status_code == 503 and r.get_json()["checks"]["database"].startswith("error")


def test_doctor_prints_the_figures(make_settings, capsys):
    from handouts.wiring import open_runtime
    from pipeline.doctor import run_doctor

    settings = make_settings()
    open_runtime(settings, stages=_stages()).close()  # a migrated database
    run_doctor(settings)
    out = capsys.readouterr().out
    assert "Jobs:" in out and "dead letters: 0" in out


def _a_busy_history(rt):
    """Rows as a day of work leaves them: done, queued a while, resumed after a worker death, dead, cancelled."""
    from datetime import timedelta

    from pipeline.models import Job, JobStatus, RunStatus, StageRun, utcnow

    now = utcnow()
    with rt.transaction() as s:
        def job(status, **kw):
            j = Job(source="x.mp4", tenant="local", owner="u", status=status, progress=0.0, message="", warnings=[],
                    **kw)
            s.add(j)
            s.flush()
            return j

        done = job(JobStatus.COMPLETED)
        s.add(StageRun(job_id=done.id, stage="a", attempt=1, status=RunStatus.SUCCEEDED, seconds=2.5))
        resumed = job(JobStatus.COMPLETED)
        s.add(StageRun(job_id=resumed.id, stage="a", attempt=1, status=RunStatus.EXPIRED, worker="gone"))
        s.add(StageRun(job_id=resumed.id, stage="a", attempt=2, status=RunStatus.SUCCEEDED, seconds=400.0))
        dead = job(JobStatus.DEAD)
        s.add(StageRun(job_id=dead.id, stage="a", attempt=1, status=RunStatus.EXPIRED, worker="gone"))
        s.add(StageRun(job_id=dead.id, stage="a", attempt=2, status=RunStatus.EXPIRED, worker="gone"))
        job(JobStatus.CANCELLED)
        job(JobStatus.QUEUED, created_at=now - timedelta(minutes=10))
    rt.enqueue("wake-up-1")
    rt.enqueue("wake-up-2")


def test_every_figure_is_on_metrics_and_in_doctor_and_the_same_from_another_process(make_settings, capsys):
    import re

    from handouts.app import create_app
    from handouts.wiring import open_runtime
    from pipeline.doctor import run_doctor

    settings = make_settings()
    rt = open_runtime(settings, immediate=False, stages=_stages())
    _a_busy_history(rt)
    text = create_app(runtime=rt).test_client().get("/metrics").get_data(as_text=True)

    def value(line: str) -> float:
        m = re.search("^" + re.escape(line) + r" ([0-9.e+]+)$", text, re.M)
        assert m, f"{line} is not on /metrics:\n{text}"
        return float(m.group(1))

    assert value('handouts_jobs{status="completed"}') == 2 and value('handouts_jobs{status="queued"}') == 1
    assert value('handouts_job_outcomes{outcome="completed"}') == 2
    assert value('handouts_job_outcomes{outcome="dead"}') == 1
    assert value('handouts_job_outcomes{outcome="cancelled"}') == 1
    assert value('handouts_stage_duration_seconds_count{stage="a"}') == 2
    assert value('handouts_stage_duration_seconds_bucket{le="5.0",stage="a"}') == 1
    assert value('handouts_stage_duration_seconds_bucket{le="900.0",stage="a"}') == 2
    assert value('handouts_stage_duration_seconds_sum{stage="a"}') == 402.5
    assert value("handouts_queue_depth") == 2
    assert 590 <= value("handouts_oldest_queued_seconds") <= 900
    assert value("handouts_lease_expiries") == 3
    assert value("handouts_reaper_revivals") == 2, "the resumed job's first run and the dead job's first"
    assert value("handouts_dead_letters") == 1
    for name in ("handouts_lease_expiries", "handouts_reaper_revivals", "handouts_dead_letters"):
        assert f"# TYPE {name} gauge" in text, f"{name} is read from stored rows and can fall: a gauge"
    assert value('handouts_stage_runs{status="expired"}') == 3

    other = open_runtime(settings, immediate=False, stages=_stages())  # another process on the same store
    again = create_app(runtime=other).test_client().get("/metrics").get_data(as_text=True)
    strip = lambda t: re.sub(r"^handouts_oldest_queued_seconds .*$", "", t, flags=re.M)  # noqa: E731 - time moves
    assert strip(again) == strip(text)
    other.close()
    rt.close()

    run_doctor(settings)
    out = capsys.readouterr().out
    for line in ("by status: ", "outcomes: completed 2, cancelled 1, dead 1", "queue depth: 2 wake-up(s) waiting",
                 "lease expiries (worker deaths survived): 3", "reaper revivals (stages run again after a worker "
                 "died): 2", "dead letters: 1", "stage a: 2 runs, mean 201.2 s"):
        assert line in out, (line, out)
    assert re.search(r"oldest queued: (59\d|6\d\d) s", out), out
