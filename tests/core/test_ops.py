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
    assert "handouts_lease_expiries_total 0.0" in text and "handouts_dead_letters_total 0.0" in text
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
