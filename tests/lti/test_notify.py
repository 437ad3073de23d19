"""The instructor's e-mail when an LMS job finishes or fails: once per job, recorded in deliveries."""

from __future__ import annotations

import socket

from structlog.testing import capture_logs

from lti.notifier import LtiEmailNotifier
from pipeline.deliveries import sent
from tests.bot.conftest import quick_stages
from tests.fakes.smtp_server import smtp_server  # noqa: F401 - a fixture
from tests.lti.test_instructor import _page, _request


def _smtp(port):
    return {"HANDOUTS_SMTP_HOST": "127.0.0.1", "HANDOUTS_SMTP_PORT": port, "HANDOUTS_SMTP_FROM": "handouts@uni.test"}


def test_finished_job_mails_the_instructor_once(lti_world, smtp_server):  # noqa: F811
    w = lti_world(immediate=True, **_smtp(smtp_server.port))
    assert w.rt.notifier(LtiEmailNotifier) is not None  # wired by the composition root
    base, csrf, _ = _page(w)
    _request(w, base, csrf, url="https://v.example/week3.mp4", title="Week 3")
    [job] = w.jobs()
    assert job.status == "completed_with_warnings"
    [msg] = smtp_server.messages
    assert msg["To"] == "user-1@uni.test" and msg["From"] == "handouts@uni.test"
    assert msg["Subject"] == "Handout ready: Week 3: Cells"
    body = msg.get_payload(decode=True).decode()
    assert "https://lms.test.example/course/course-1" in body and "mindmap" in body
    w.rt.emit(job.id, "finished")  # a second wake-up, a reaper, a retry of the last stage…
    assert len(smtp_server.messages) == 1
    with w.rt.sessions() as s:
        d = sent(s, job.id)[("email:user-1@uni.test", "outcome")]
    assert d.status == "done" and d.ref["message_id"] == msg["Message-ID"]


def test_failed_job_mails_the_reason(lti_world, smtp_server):  # noqa: F811
    w = lti_world(immediate=True, stages=quick_stages(fail_at="slides"), HANDOUTS_STAGE_RETRIES=0,
                  **_smtp(smtp_server.port))
    base, csrf, _ = _page(w)
    _request(w, base, csrf, url="https://v.example/page.html")
    [job] = w.jobs()
    assert job.status == "failed"
    [msg] = smtp_server.messages
    assert msg["Subject"].startswith("Handout could not be made")
    body = msg.get_payload(decode=True).decode()
    assert "not a video" in body and "retry it from the Handouts page" in body


def test_no_email_claim_no_mail(lti_world, smtp_server):  # noqa: F811
    w = lti_world(immediate=True, **_smtp(smtp_server.port))
    from tests.lti.platform import REMOVE

    base, csrf, _ = _page(w, email=REMOVE)
    with capture_logs() as logs:
        _request(w, base, csrf, url="https://v.example/week3.mp4")
    assert smtp_server.messages == []
    assert any(e["event"] == "lti_notify_no_email" and e["tenant"].startswith("lti:") for e in logs)


def test_mail_server_down_does_not_fail_the_job_and_is_sent_later(lti_world, smtp_server):  # noqa: F811
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    w = lti_world(immediate=True, **_smtp(dead_port))
    base, csrf, _ = _page(w)
    with capture_logs() as logs:
        _request(w, base, csrf, url="https://v.example/week3.mp4")
    [job] = w.jobs()
    assert job.status == "completed_with_warnings"
    assert any(e["event"] == "notify_failed" for e in logs)
    with w.rt.sessions() as s:
        assert sent(s, job.id)[("email:user-1@uni.test", "outcome")].status == "failed"
    notifier = w.rt.notifier(LtiEmailNotifier)
    notifier.settings = notifier.settings.model_copy(update={"smtp_port": smtp_server.port})
    w.rt.emit(job.id, "finished")
    w.rt.emit(job.id, "finished")
    assert len(smtp_server.messages) == 1


def test_no_smtp_host_no_notifier(lti_world):
    w = lti_world()
    assert w.rt.notifier(LtiEmailNotifier) is None


def test_email_from_the_roster_when_the_launch_has_none(lti_world, smtp_server, http_server):  # noqa: F811
    from tests.lti.platform import REMOVE
    from lti.nrps import next_link

    w = lti_world(immediate=True, **_smtp(smtp_server.port))
    w.platform.serve_roster(lambda: w.app.test_client().get("/lti/jwks").get_json(), [
        [{"user_id": "someone", "email": "someone@uni.test", "roles": ["Learner"]}],
        [{"user_id": "user-1", "email": "ada@uni.test", "roles": ["Instructor"]}]])
    base, csrf, _ = _page(w, email=REMOVE, **w.platform.roster_claim)
    _request(w, base, csrf, url="https://v.example/week3.mp4")
    [job] = w.jobs()
    assert job.address.email == "ada@uni.test"
    assert [m["To"] for m in smtp_server.messages] == ["ada@uni.test"]
    assert http_server.hits("/CourseSection/Members") == 2  # followed the mixed-case next link
    assert w.platform.token_requests[0]["scope"].endswith("contextmembership.readonly")
    assert next_link('<https://a/x?P=1>; rel="current", <https://a/X?P=2>; rel="next"') == "https://a/X?P=2"
    assert next_link('<https://a/x>; rel="prev"') is None


def test_roster_failure_never_fails_the_request(lti_world, smtp_server, http_server):  # noqa: F811
    from tests.lti.platform import REMOVE

    w = lti_world(immediate=True, **_smtp(smtp_server.port))
    http_server.add_status("/token", 500)
    base, csrf, _ = _page(w, email=REMOVE, **w.platform.roster_claim)
    with capture_logs() as logs:
        resp = _request(w, base, csrf, url="https://v.example/week3.mp4")
    assert resp.status_code == 303
    [job] = w.jobs()
    assert job.address.email is None and smtp_server.messages == []
    assert any(e["event"] == "lti_nrps_failed" for e in logs)


def test_jobs_from_elsewhere_are_not_mailed(lti_world, smtp_server):  # noqa: F811
    from pipeline.jobs import submit_job

    w = lti_world(immediate=True, **_smtp(smtp_server.port))
    with w.rt.transaction() as s:
        job = submit_job(s, w.rt.enqueue, source="https://v.example/cli.mp4")
    assert [j.status for j in w.jobs()] == ["completed_with_warnings"]
    w.rt.emit(job.id, "finished")
    assert smtp_server.messages == []
