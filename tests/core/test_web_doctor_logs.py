"""The status web app, `handouts doctor`, and log binding, over stages made for the test."""

from __future__ import annotations

import re

import pytest
import structlog
from structlog.testing import capture_logs

from pipeline.context import StageDef
from pipeline.doctor import effective_config, run_doctor
from pipeline.errors import NotAVideo
from pipeline.jobs import submit_job
from handouts.wiring import open_runtime
from handouts.app import create_app
from tests.fakes.http_server import http_server  # noqa: F401 - fixture


def _stages():
    def a(ctx):
        ctx.log.info("inside_a")
        p = ctx.workdir / "handout.pdf"
        p.write_bytes(b"%PDF-1.4 test")
        ctx.save_artifact(p, "handout_grid")
        ctx.warn("the video has no audio track: the handout has slides without captions")
        return {"title": "Cell <biology>"}

    def b(ctx):
        if ctx.options.get("fail"):
            raise NotAVideo(ctx.source, f"{ctx.source} is a web page (HTML), not a video")
        return {}
    return (StageDef("a", a, 1), StageDef("b", b, 1))


@pytest.fixture
def rt(make_settings):
    runtime = open_runtime(make_settings(), immediate=True, stages=_stages())
    yield runtime
    runtime.close()


def _submit(rt, **options):
    with rt.transaction() as s:
        return submit_job(s, rt.enqueue, source="lecture.mp4", options=options).id


def test_status_pages_and_downloads(rt):
    ok = _submit(rt)
    bad = _submit(rt, fail=True)
    client = create_app(runtime=rt).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "checks": {"database": "ok"}}
    page = client.get("/").get_data(as_text=True)
    assert "completed_with_warnings" in page and "failed" in page
    assert "Cell &lt;biology&gt;" in page, "titles are escaped"
    detail = client.get(f"/jobs/{ok}").get_data(as_text=True)
    assert "handout.pdf" in detail and "no audio track" in detail
    r = client.get(f"/jobs/{ok}/files/handout.pdf", follow_redirects=True)  # via its signed link
    assert r.status_code == 200 and r.data == b"%PDF-1.4 test" and r.mimetype == "application/pdf"
    assert client.get(f"/jobs/{ok}/files/nope.pdf").status_code == 404
    failed = client.get(f"/api/jobs/{bad}").get_json()
    assert failed["status"] == "failed" and "web page" in failed["error"]["message"]
    assert failed["error"]["stage"] == "b"
    missing = client.get("/api/jobs/doesnotexist")
    assert missing.status_code == 404 and "no job" in missing.get_json()["message"]


def test_logs_are_bound_to_job_stage_and_tenant(rt):
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        job_id = _submit(rt)
    inside = [e for e in logs if e["event"] == "inside_a"]
    assert inside, logs
    ctx = structlog.contextvars.get_contextvars()
    assert "job_id" not in ctx, "context is unbound after the stage"
    started = [e for e in logs if e["event"] == "stage_started"]
    assert started and all(e.get("job_id") == job_id and e.get("tenant") == "local" for e in started)


def test_doctor_masks_secrets_and_checks_services(make_settings):
    settings = make_settings(OPENAI_API_KEY="sk-secret-value-123456", DATABASE_URL=None)
    rows = dict(effective_config(settings))
    assert rows["OPENAI_API_KEY"].startswith("***") and "secret" not in rows["OPENAI_API_KEY"]
    lines: list[str] = []
    code = run_doctor(make_settings(), out=lines.append)
    text = "\n".join(lines)
    assert code == 0, text
    assert "ok    database" in text and "ok    queue" in text and "ok    storage" in text
    assert "offline" in text


def test_doctor_reports_a_dead_service(make_settings):
    lines: list[str] = []
    code = run_doctor(make_settings(REDIS_URL="redis://127.0.0.1:1/0"), out=lines.append)
    assert code == 1 and any(l.startswith("  FAIL  queue") for l in lines)


def test_doctor_masks_url_passwords(make_settings):
    rows = dict(effective_config(make_settings(DATABASE_URL="postgresql://bob:hunter2@db/x")))
    assert "hunter2" not in rows["DATABASE_URL"] and "bob:***@db" in rows["DATABASE_URL"]


def test_status_pages_are_for_operators_only(make_settings):
    rt = open_runtime(make_settings(), immediate=True, stages=_stages())
    client = create_app(runtime=rt).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    r = client.get("/", environ_base=remote)
    assert r.status_code == 403 and "HANDOUTS_ADMIN_TOKEN" in r.get_json()["message"]
    assert client.get("/healthz", environ_base=remote).status_code == 200
    assert client.get("/").status_code == 200, "loopback sees the embedded default's pages"
    rt.close()

    rt = open_runtime(make_settings(HANDOUTS_ADMIN_TOKEN="s3cret-token", HANDOUTS_SECRET_KEY="k" * 40),
                        immediate=True, stages=_stages())
    client = create_app(runtime=rt).test_client()
    assert client.get("/").status_code == 401, "with a token set, loopback signs in too"
    assert client.get("/?token=wrong", environ_base=remote).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret-token"}, environ_base=remote).status_code == 200
    assert client.get("/?token=s3cret-token", environ_base=remote).status_code == 401, "never a token in the URL"
    form = client.get("/sign-in", environ_base=remote).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed_in = client.post("/sign-in", data={"token": "s3cret-token", "csrf_token": csrf}, environ_base=remote)
    assert signed_in.status_code == 303
    assert client.get("/", environ_base=remote).status_code == 200, "the session remembers the operator"
    rt.close()


SIGNED = "https://ann:hunter2@media.example.edu/w3.mp4?X-Amz-Signature=SIGabc123&X-Amz-Expires=600"


def _configured(make_settings, stream, **over):
    import io  # noqa: F401

    from pipeline.logs import configure_logging

    configure_logging(make_settings(HANDOUTS_LOG_LEVEL="debug", HANDOUTS_LOG_FORMAT="json", **over), stream=stream)


def test_structlog_lines_redact_urls_in_nested_fields_and_tracebacks(make_settings):
    import io

    stream = io.StringIO()
    _configured(make_settings, stream)
    log = structlog.get_logger("handouts.test")
    log.info("fetching", url=SIGNED, error={"message": f"403 for {SIGNED}"}, tried=[SIGNED])
    try:
        raise RuntimeError(f"Client error '403 Forbidden' for url '{SIGNED}'")
    except RuntimeError:
        log.exception("fetch_failed")
    out = stream.getvalue()
    assert "fetching" in out and "fetch_failed" in out and "RuntimeError" in out
    assert "hunter2" not in out and "SIGabc123" not in out, out
    assert out.count("X-Amz-Signature=redacted") >= 4


def test_httpx_info_lines_are_redacted_for_any_handler(make_settings, http_server):
    import io
    import logging

    import httpx

    stream = io.StringIO()
    _configured(make_settings, stream)
    logging.getLogger("httpx").setLevel(logging.INFO)  # an operator turns the request lines on
    late = io.StringIO()
    handler = logging.StreamHandler(late)  # a server that puts its own handler in place after logging was set up
    root = logging.getLogger()
    kept, root.handlers = root.handlers, [handler]
    try:
        http_server.add("/w3.mp4", b"video", "video/mp4")
        url = http_server.url("/w3.mp4?X-Amz-Signature=SIGabc123&token=TOKxyz").replace("http://", "http://ann:hunter2@")
        httpx.get(url)
        logging.getLogger("urllib3.connectionpool").warning("Retrying after %s", url)  # a child logger, with args
        try:
            raise ValueError(f"bad answer from {url}")
        except ValueError:
            logging.getLogger("huey.consumer").exception("task failed")
    finally:
        root.handlers = kept
        logging.getLogger("httpx").setLevel(logging.WARNING)
    for out in (late.getvalue(),):
        assert "HTTP Request" in out and "Retrying after" in out and "bad answer from" in out, out
        for secret in ("hunter2", "SIGabc123", "TOKxyz"):
            assert secret not in out, out


def test_a_redacted_link_hides_encoded_keys_and_fragment_tokens():
    from pipeline.sources.netguard import redact_url

    shown = redact_url("https://u:p@cdn.example.edu/v.mp4?X%2DAmz%2DSignature=abc&Policy=pol&n=1#access_token=tk&t=5")
    assert "abc" not in shown and "pol" not in shown and "tk" not in shown and "u:p" not in shown, shown
    assert shown.endswith("n=1#access_token=redacted&t=5")


def test_the_full_link_is_kept_only_sealed_and_only_until_it_is_fetched(make_settings):
    from pipeline.models import Job

    seen = []

    def fetch(ctx):
        seen.append(ctx.options.get("sealed_source"))
        return {"sha256": "0" * 64}

    runtime = open_runtime(make_settings(), immediate=True, stages=(StageDef("fetch", fetch, 1),))
    try:
        with runtime.transaction() as s:
            job = submit_job(s, lambda _id: None, source=SIGNED, seal=runtime.seal)
            assert job.source == "https://media.example.edu/w3.mp4?X-Amz-Signature=redacted&X-Amz-Expires=600"
            sealed = job.options["sealed_source"]
            assert "hunter2" not in sealed and "SIGabc123" not in sealed
            job_id = job.id
        from pipeline.crypto import cipher_for

        assert cipher_for(runtime.settings, "sources").decrypt(sealed) == SIGNED
        runtime.enqueue(job_id)
        with runtime.sessions() as s:
            job = s.get(Job, job_id)
            assert job.status.startswith("completed"), job.message
            assert "sealed_source" not in (job.options or {}), "dropped once the recording is fetched"
        assert seen == [sealed]
    finally:
        runtime.close()


def test_a_badly_formatted_library_line_does_not_raise_where_it_is_logged(make_settings):
    import io
    import logging

    _configured(make_settings, io.StringIO())
    make = logging.getLogRecordFactory()
    record = make("some.library", logging.WARNING, __file__, 1, "two %s %s for one", ("https://x.example/?sig=1",),
                  None)  # made without raising: the handler reports the mistake, as it always did
    assert record.args == ("https://x.example/?sig=1",)
    fine = make("some.library", logging.WARNING, __file__, 1, "got %s", ("https://x.example/?sig=1",), None)
    assert fine.getMessage() == "got https://x.example/?sig=redacted"
