"""The instructor page: requests by link or upload, the course's jobs (and no other course's), actions, roles."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from structlog.testing import capture_logs

from pipeline.addresses import lti_scope, lti_tenant
from pipeline.models import Artifact, Job, JobStatus
from tests.lti.platform import LEARNER, TA

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 400


def _page(w, **kw):
    resp, _, _ = w.launch(**kw)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    html = resp.get_data(as_text=True)
    return w.ticket_url(resp), w.csrf(html), html


def _request(w, base, csrf, **fields):
    data = {"csrf": csrf, "layout": ["16up", "notes"], "study": "1", "profile": "default", **fields}
    return w.client.post(f"{base}jobs?csrf={csrf}", data=data, content_type="multipart/form-data")


def test_request_by_link_makes_a_job_of_the_course(lti_world):
    w = lti_world()
    base, csrf, _ = _page(w)
    resp = _request(w, base, csrf, url="https://videos.example/lecture3.mp4", title="Week 3")
    assert resp.status_code == 303
    [job] = w.jobs()
    assert job.tenant == lti_tenant(w.platform.issuer, "dep-1") and job.scope == lti_scope("course-1")
    assert job.origin == "lti" and job.owner == "user-1" and job.source == "https://videos.example/lecture3.mp4"
    assert job.options == {"title": "Week 3", "profile": "default"}
    addr = job.address
    assert (addr.issuer, addr.client_id, addr.deployment_id, addr.context_id) == (
        w.platform.issuer, "tool-client-1", "dep-1", "course-1")
    assert addr.email == "user-1@uni.test" and addr.return_url.endswith("/course/course-1")
    page = w.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Week 3" in page and "queued" in page and "<progress" in page


def test_outputs_choice_and_bad_fields(lti_world):
    w = lti_world()
    base, csrf, _ = _page(w)
    resp = w.client.post(f"{base}jobs?csrf={csrf}", data={"csrf": csrf, "url": "https://v.example/a.mp4",
                                                          "layout": "notes", "paper": "a4"},
                         content_type="multipart/form-data")
    assert resp.status_code == 303
    assert w.jobs()[0].options == {"layout": "notes", "no_ai": True, "paper": "a4"}
    for fields, text in (({"url": "https://v.example/a.mp4", "layout": []}, "at least one handout layout"),
                         ({"url": "ftp://v.example/a.mp4"}, "not an http(s) address"),
                         ({}, "paste its link or choose the file"),
                         ({"url": "https://uni.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id=abc"},
                          "not a Panopto id")):
        resp = _request(w, base, csrf, **fields)
        assert resp.status_code == 400, fields
        assert text in resp.get_data(as_text=True)
    assert len(w.jobs()) == 1


def test_upload_streams_to_storage_and_is_checked_by_content(lti_world):
    w = lti_world()
    base, csrf, _ = _page(w)
    resp = _request(w, base, csrf, recording=(io.BytesIO(MP4_HEAD + b"x" * 5000), "lecture.mp4"))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    [job] = w.jobs()
    assert job.source.startswith("storage:t/lti-") and job.source.endswith(".mp4")
    assert w.rt.storage.exists(job.source[len("storage:"):])
    assert job.options["title"] == "lecture"
    leftovers = list((w.rt.settings.work_dir / "lti-uploads").glob("*"))
    assert leftovers == []


def test_upload_that_is_not_a_video_refused_without_a_job(lti_world):
    w = lti_world()
    base, csrf, _ = _page(w)
    for body, what in ((b"<!DOCTYPE html><html><body>login</body></html>" + b" " * 500, "web page"),
                       (b"%PDF-1.7\n" + b"0" * 500, "PDF"), (b"ID3\x03" + b"\x00" * 500, "audio file"),
                       (b"", "empty")):
        with capture_logs() as logs:
            resp = _request(w, base, csrf, recording=(io.BytesIO(body), "x.mp4"))
        assert resp.status_code == 415, what
        assert what in resp.get_data(as_text=True)
        assert any(e.get("event") == "lti_upload_refused" for e in logs)
    assert w.jobs() == []
    assert list((w.rt.settings.work_dir / "lti-uploads").glob("*")) == []


def test_upload_too_large_refused_while_streaming(lti_world):
    w = lti_world(HANDOUTS_LTI_MAX_UPLOAD_BYTES=64 * 1024)
    base, csrf, _ = _page(w)
    resp = _request(w, base, csrf, recording=(io.BytesIO(MP4_HEAD + b"x" * 200_000), "big.mp4"))
    assert resp.status_code == 413 and "larger than" in resp.get_data(as_text=True)
    assert w.jobs() == []
    assert list((w.rt.settings.work_dir / "lti-uploads").glob("*")) == []


def test_upload_over_the_limit_by_a_stream_without_length_stops_at_the_limit(lti_world):
    """A body that lies about nothing but keeps coming is cut at the limit, not buffered first."""
    from lti.uploads import SniffedUpload, UploadRefused

    w = lti_world()
    up = SniffedUpload(w.rt.settings.work_dir / "t", limit=10_000)
    up.write(MP4_HEAD)
    try:
        for _ in range(100):
            up.write(b"x" * 1000)
        raise AssertionError("not refused")
    except UploadRefused as e:
        assert e.code == "too_large"
    assert up.size <= 10_000 + 1000 and not up.path.exists()


def test_learner_cannot_reach_instructor_actions(lti_world):
    w = lti_world()
    base, csrf, _ = _page(w)
    _request(w, base, csrf, url="https://v.example/a.mp4")
    [job] = w.jobs()
    resp, _, _ = w.launch(roles=[LEARNER], sub="student-1")
    assert resp.status_code == 200
    sbase = w.ticket_url(resp)
    learner_html = resp.get_data(as_text=True)
    assert 'name="csrf"' not in learner_html
    with w.rt.sessions() as s:
        from lti.tables import LtiLaunch

        learner_csrf = [r.csrf for r in s.scalars(select(LtiLaunch)) if r.user_id == "student-1"][0]
    with capture_logs() as logs:
        for path in (f"{sbase}jobs?csrf={learner_csrf}", f"{sbase}jobs/{job.id}/cancel",
                     f"{sbase}jobs/{job.id}/retry", f"{sbase}jobs/delete"):
            r = w.client.post(path, data={"csrf": learner_csrf, "url": "https://v.example/b.mp4", "job": job.id,
                                          "confirm": "yes"})
            assert r.status_code == 403, path
            assert "Only the course's instructors" in html.unescape(r.get_data(as_text=True))
        assert w.client.get(f"{sbase}jobs.json").status_code == 403
    assert all(e.get("tenant", "").startswith("lti:") for e in logs if e.get("event") == "lti_refused")
    assert [j.id for j in w.jobs()] == [job.id] and w.jobs()[0].status == JobStatus.QUEUED


def test_teaching_assistant_rights_follow_the_setting(lti_world, tmp_path):
    w = lti_world()
    assert "Request a handout" in _page(w, roles=[TA, "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"])[2]
    w2 = lti_world(HANDOUTS_LTI_TA_RIGHTS="learner", HANDOUTS_DATA_DIR=str(tmp_path / "second"))
    resp, _, _ = w2.launch(roles=[TA, "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"])
    assert "Request a handout" not in resp.get_data(as_text=True)
    assert "Request a handout" in _page(w2, roles=["Instructor"])[2]  # Moodle's short name


def test_post_without_the_launch_csrf_token_refused(lti_world):
    w = lti_world()
    base, csrf, _ = _page(w)
    resp = w.client.post(f"{base}jobs", data={"url": "https://v.example/a.mp4", "layout": "notes"})
    assert resp.status_code == 403 and "not sent from the Handouts page" in resp.get_data(as_text=True)
    other_base, other_csrf, _ = _page(w)
    resp = w.client.post(f"{base}jobs?csrf={other_csrf}", data={"url": "https://v.example/a.mp4"})
    assert resp.status_code == 403
    assert w.jobs() == []


def _add_jobs(w, n, *, scope="course-1", tenant=None, status=JobStatus.COMPLETED, title="Lecture"):
    tenant = tenant or lti_tenant(w.platform.issuer, "dep-1")
    now = datetime.now(timezone.utc)
    ids = []
    with w.rt.transaction() as s:
        for i in range(n):
            j = Job(source=f"https://v.example/{scope}/{i}.mp4", tenant=tenant, scope=lti_scope(scope),
                    owner="user-1", origin="lti", title=f"{title} {i:02d}", status=status,
                    created_at=now - timedelta(days=i), reply_to={"kind": "cli"})
            s.add(j)
            s.flush()
            s.add(Artifact(job_id=j.id, kind="handout_notes", name="notes.pdf", content_type="application/pdf",
                           size=2 * 1024 * 1024, storage_key=f"t/x/jobs/{j.id}/notes.pdf", sha256="0" * 64))
            ids.append(j.id)
    return ids


def test_course_jobs_paginated_filtered_and_searched(lti_world):
    w = lti_world()
    _add_jobs(w, 23)
    _add_jobs(w, 2, status=JobStatus.FAILED, title="Broken")
    base, _, html = _page(w)
    assert "(25)" in html and "Page 1 of 2" in html and html.count('name="job" value=') == 20
    assert "2.0 MB" in html
    p2 = w.client.get(f"{base}?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in p2 and p2.count('name="job" value=') == 5
    failed = w.client.get(f"{base}?status=failed").get_data(as_text=True)
    assert "(2)" in failed and "Broken 00" in failed and "Lecture" not in failed.split("This course")[1]
    found = w.client.get(f"{base}?q=Lecture 07").get_data(as_text=True)
    assert "(1)" in found and "Lecture 07" in found
    assert "(0)" in w.client.get(f"{base}?q=%25").get_data(as_text=True)  # a % is searched for, not a wildcard
    day = (datetime.now(timezone.utc) - timedelta(days=3)).strftime("%Y-%m-%d")
    ranged = w.client.get(f"{base}?from={day}&to={day}").get_data(as_text=True)
    assert "(1)" in ranged and "Lecture 03" in ranged  # only the job made that day
    bad = w.client.get(f"{base}?from=yesterday").get_data(as_text=True)
    assert "is not a date like" in bad and "(25)" in bad
    data = w.client.get(f"{base}jobs.json?page=2").get_json()
    assert data["total"] == 25 and data["page"] == 2 and len(data["jobs"]) == 5


def test_no_launch_sees_another_course_or_platform(lti_world):
    w = lti_world()
    mine = _add_jobs(w, 2)
    other_course = _add_jobs(w, 3, scope="course-2", title="Other course")
    other_platform = _add_jobs(w, 1, tenant=lti_tenant("https://elsewhere.example", "dep-1"), title="Elsewhere")
    base, csrf, html = _page(w)
    assert "(2)" in html and "Other course" not in html and "Elsewhere" not in html
    for job_id in other_course + other_platform:
        for action in ("cancel", "retry"):
            r = w.client.post(f"{base}jobs/{job_id}/{action}", data={"csrf": csrf})
            assert r.status_code == 404
        r = w.client.post(f"{base}jobs/delete", data={"csrf": csrf, "job": job_id, "confirm": "yes"})
        assert r.status_code == 404
    assert len(w.jobs()) == 6
    base2, _, html2 = _page(w, context_id="course-2")
    assert "(3)" in html2 and "Lecture" not in html2.split("This course")[1]
    assert mine


def test_cancel_retry_and_bulk_delete_with_confirmation(lti_world):
    w = lti_world()
    base, csrf, _ = _page(w)
    _request(w, base, csrf, url="https://v.example/a.mp4", title="To cancel")
    [job] = w.jobs()
    assert w.client.post(f"{base}jobs/{job.id}/cancel", data={"csrf": csrf}).status_code == 303
    assert w.jobs()[0].status == JobStatus.CANCELLED
    assert w.client.post(f"{base}jobs/{job.id}/retry", data={"csrf": csrf}).status_code == 303
    assert w.jobs()[0].status == JobStatus.QUEUED
    r = w.client.post(f"{base}jobs/delete", data={"csrf": csrf, "job": job.id})
    assert r.status_code == 400 and "cancel it first" in r.get_data(as_text=True)  # a live job is not deleted
    done = _add_jobs(w, 2)
    confirm = w.client.post(f"{base}jobs/delete", data={"csrf": csrf, "job": done})
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete 2 handout(s)?" in html and 'value="yes"' in html
    assert len(w.jobs()) == 3  # nothing deleted before the confirmation
    r = w.client.post(f"{base}jobs/delete", data={"csrf": csrf, "job": done, "confirm": "yes"})
    assert r.status_code == 303
    assert [j.id for j in w.jobs()] == [job.id]
    assert "2 handout(s) deleted" in w.client.get(r.headers["Location"]).get_data(as_text=True)


def test_no_temporary_upload_is_left_behind(lti_world):
    """An empty file field next to a link, or a bad field next to a good upload: no temporary file stays."""
    w = lti_world()
    base, csrf, _ = _page(w)
    r = _request(w, base, csrf, url="https://v.example/a.mp4", recording=(io.BytesIO(b""), ""))
    assert r.status_code == 303 and w.jobs()[0].source == "https://v.example/a.mp4"
    r = _request(w, base, csrf, layout=[], recording=(io.BytesIO(MP4_HEAD), "lecture.mp4"))
    assert r.status_code == 400
    assert len(w.jobs()) == 1
    assert list((w.rt.settings.work_dir / "lti-uploads").glob("*")) == []


def test_a_form_sent_twice_makes_one_job(lti_world):
    w = lti_world()
    base, csrf, page = _page(w)
    rid = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
    first = _request(w, base, csrf, url="https://v.example/a.mp4", request_id=rid)
    second = _request(w, base, csrf, url="https://v.example/a.mp4", request_id=rid)
    assert first.status_code == second.status_code == 303
    assert len(w.jobs()) == 1
    assert first.headers["Location"] == second.headers["Location"]
    other = re.search(r'name="request_id" value="([^"]+)"',
                      w.client.get(base).get_data(as_text=True)).group(1)
    assert other != rid
    _request(w, base, csrf, url="https://v.example/a.mp4", request_id=other)
    assert len(w.jobs()) == 2
