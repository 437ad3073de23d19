"""Deep Linking: the handout placed in the course at request time; the student's launch of it; signed downloads."""

from __future__ import annotations

import html
import json
import re
import time

import jwt
from jwcrypto.jwk import JWK

from pipeline.signed import sign_download
from tests.lti.platform import DL, LEARNER
from tests.lti.test_instructor import _add_jobs, _request


def _dl_page(w, **kw):
    resp, _, _ = w.launch(message_type="LtiDeepLinkingRequest", **kw)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    page = resp.get_data(as_text=True)
    return w.ticket_url(resp), w.csrf(page), page


def _response_jwt(w, resp) -> tuple[str, dict]:
    page = resp.get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)" id="deep-link-return"', page).group(1))
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    kid = jwt.get_unverified_header(token)["kid"]
    keys = {k["kid"]: k for k in w.client.get("/lti/jwks").get_json()["keys"]}
    pem = JWK.from_json(json.dumps(keys[kid])).export_to_pem()
    claims = jwt.decode(token, pem, algorithms=["RS256"], audience=w.platform.issuer)
    return action, claims


def test_deep_link_request_returns_a_resource_link_with_the_handout_id(lti_world):
    w = lti_world()
    base, csrf, page = _dl_page(w)
    assert "Add a handout to Biology 101" in page and "Request and add to the course" in page
    resp = _request(w, base, csrf, url="https://v.example/week4.mp4", title="Week 4", place="1")
    assert resp.status_code == 200
    [job] = w.jobs()
    action, claims = _response_jwt(w, resp)
    assert action == f"{w.platform.issuer}/deep_link_return"
    assert claims["iss"] == w.platform.client_id and claims["aud"] == [w.platform.issuer]
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "dep-1"
    assert claims[DL + "data"] == "opaque-platform-data"
    assert claims["exp"] > time.time()
    [item] = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"handout_id": job.id}
    assert item["url"].endswith("/lti/launch") and item["title"] == "Handout: Week 4"
    assert "being prepared" in resp.get_data(as_text=True)


def test_placing_finished_handouts_and_tampered_selections(lti_world):
    w = lti_world()
    [done] = _add_jobs(w, 1, title="Finished")
    [other] = _add_jobs(w, 1, scope="course-2", title="Other")
    base, csrf, page = _dl_page(w)
    assert "Add to course" in page
    resp = w.client.post(f"{base}place", data={"csrf": csrf, "job": done})
    _, claims = _response_jwt(w, resp)
    assert [i["custom"]["handout_id"] for i in claims[DL + "content_items"]] == [done]
    r = w.client.post(f"{base}place", data={"csrf": csrf, "job": other})  # another course's id
    assert r.status_code == 404 and 'name="JWT"' not in r.get_data(as_text=True)
    r = w.client.post(f"{base}place", data={"csrf": csrf, "job": [done, done + "x"]})
    assert r.status_code == 400 and "takes one handout" in r.get_data(as_text=True)
    r = w.client.post(f"{base}place", data={"csrf": csrf})
    assert r.status_code == 400
    r = w.client.post(f"{base}place", data={"job": done})
    assert r.status_code == 403
    # a resource-link launch cannot answer with a deep link
    resp, _, _ = w.launch()
    r = w.client.post(f"{w.ticket_url(resp)}place", data={"csrf": w.csrf(resp.get_data(as_text=True)), "job": done})
    assert r.status_code == 400


def test_learner_in_a_deep_link_launch_refused(lti_world):
    w = lti_world()
    resp, _, _ = w.launch(message_type="LtiDeepLinkingRequest", roles=[LEARNER])
    assert resp.status_code == 403


def test_deep_link_request_without_resource_link_support_refused(lti_world):
    w = lti_world()
    settings = {"deep_link_return_url": "https://lms.test.example/r", "accept_types": ["file"],
                "accept_presentation_document_targets": ["iframe"]}
    resp, _, _ = w.launch(message_type="LtiDeepLinkingRequest", **{"https://purl.imsglobal.org/spec/lti-dl/"
                                                                   "claim/deep_linking_settings": settings})
    assert resp.status_code == 400 and "resource link" in resp.get_data(as_text=True)


def test_student_opens_the_placed_handout_and_downloads_by_signed_link(lti_world):
    w = lti_world(immediate=True)
    base, csrf, _ = _dl_page(w)
    _request(w, base, csrf, url="https://v.example/week4.mp4", title="Week 4", place="1")
    [job] = w.jobs()
    assert job.status == "completed_with_warnings"
    student, _, _ = w.launch(roles=[LEARNER], sub="student-7", custom={"handout_id": job.id})
    page = student.get_data(as_text=True)
    assert student.status_code == 200 and "Week 3: Cells" in page and "Downloads" in page
    links = re.findall(r'href="(/lti/files/[^"]+)"', page)
    assert len(links) == 4
    assert "Request a handout" not in page and "retry" not in page.lower()
    fresh = w.app.test_client()  # no cookie at all
    got = fresh.get(html.unescape(links[0]))
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment; filename=")
    assert got.data.startswith(b"%") and len(got.data) == int(got.headers["Content-Length"])


def test_download_links_expire_and_cannot_be_forged(lti_world):
    w = lti_world(immediate=True)
    base, csrf, _ = _dl_page(w)
    _request(w, base, csrf, url="https://v.example/week4.mp4", place="1")
    [job] = w.jobs()
    secret = w.rt.settings.secret_key.get_secret_value()
    name = job.artifacts[0].name
    old = sign_download(secret, job.id, name, "student-7", 60, now=time.time() - 3600)
    r = w.client.get(f"/lti/files/{old}")
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    forged = sign_download("another-secret", job.id, name, "student-7", 600)
    r = w.client.get(f"/lti/files/{forged}")
    assert r.status_code == 400 and "not valid" in r.get_data(as_text=True)
    good = sign_download(secret, job.id, name, "student-7", 600)
    body, mac = good.split(".")
    assert w.client.get(f"/lti/files/{body}x.{mac}").status_code == 400
    assert w.client.get(f"/lti/files/{good}").status_code == 200


def test_handout_of_another_course_refused_and_course_copies_work(lti_world):
    w = lti_world()
    [job] = _add_jobs(w, 1, title="Copied")
    r, _, _ = w.launch(roles=[LEARNER], context_id="course-2", custom={"handout_id": job})
    assert r.status_code == 404 and "does not belong to this course" in r.get_data(as_text=True)
    r, _, _ = w.launch(roles=[LEARNER], context_id="course-2",
                       custom={"handout_id": job, "context_id_history": "course-1,course-0"})
    assert r.status_code == 200 and "Copied 00" in r.get_data(as_text=True)
    r, _, _ = w.launch(roles=[LEARNER], custom={"handout_id": "0" * 32})
    assert r.status_code == 404


def test_handout_being_prepared_shows_progress(lti_world):
    w = lti_world()
    [job] = _add_jobs(w, 1, status="running", title="Running")
    r, _, _ = w.launch(roles=[LEARNER], custom={"handout_id": job})
    page = r.get_data(as_text=True)
    assert "being prepared" in page and "<progress" in page and 'http-equiv="refresh"' in page
    assert "/lti/files/" not in page


def _stages_with_manifest():
    from pipeline.context import StageDef

    def fetch(ctx):
        return {"media": {"duration": 120.0}, "title": "Enzymes"}

    def study(ctx):
        return {"results": {"key_points": {"lecture": ["Enzymes lower the activation energy"], "slides": []}}}

    def render(ctx):
        out = ctx.workdir / "out"
        out.mkdir(parents=True, exist_ok=True)
        manifest = {"version": 1, "title": "Enzymes", "slides": [
            {"start": 0.0, "end": 60.0, "image": "slide-001.png", "text": "Today we look at enzymes.",
             "repeat_of": None, "slide_text": {"title": "Enzymes", "lines": [
                 {"text": "Catalysts of life", "box": [0.1, 0.1, 0.9, 0.2], "confidence": 0.9}], "engine": "x"}},
            {"start": 61.5, "end": 120.0, "image": "slide-002.png", "text": "Back to the first slide.",
             "repeat_of": 0}]}
        (out / "slides.json").write_text(json.dumps(manifest))
        ctx.save_artifact(out / "slides.json", "manifest")
        (out / "enzymes-handout-notes.pdf").write_bytes(b"%PDF-1.4 notes")
        ctx.save_artifact(out / "enzymes-handout-notes.pdf", "handout_notes")
        return {"artifacts": [], "title": "Enzymes"}

    return (StageDef("fetch", fetch, 1), StageDef("study", study, 1), StageDef("render", render, 1))


def test_student_page_shows_slides_with_text_and_key_points(lti_world):
    w = lti_world(immediate=True, stages=_stages_with_manifest())
    base, csrf, _ = _dl_page(w)
    _request(w, base, csrf, url="https://v.example/enzymes.mp4", place="1")
    [job] = w.jobs()
    assert job.status == "completed", job.error
    r, _, _ = w.launch(roles=[LEARNER], custom={"handout_id": job.id})
    page = html.unescape(r.get_data(as_text=True))
    assert "Key points" in page and "Enzymes lower the activation energy" in page
    assert "Slide 1: Enzymes" in page and "On the slide:</span> Catalysts of life" in page
    assert "Said:</span> Today we look at enzymes." in page
    assert "Back to the first slide" not in page  # a repeat of slide 1 is not shown twice
    assert "Links work for 10 minutes" in page


def test_instructor_opening_a_failed_handout_can_retry_it_there(lti_world):
    w = lti_world()
    [job] = _add_jobs(w, 1, status="failed", title="Broken")
    r, _, _ = w.launch(custom={"handout_id": job})
    page = r.get_data(as_text=True)
    assert "For instructors" in page and f"/jobs/{job}/retry" in page
    csrf = w.csrf(page)
    back = w.client.post(f"{w.ticket_url(r)}jobs/{job}/retry", data={"csrf": csrf})
    assert back.status_code == 303
    assert w.jobs()[0].status == "queued"
    assert "being prepared" in w.client.get(back.headers["Location"]).get_data(as_text=True)
    student, _, _ = w.launch(roles=[LEARNER], custom={"handout_id": job})
    assert "For instructors" not in student.get_data(as_text=True)
