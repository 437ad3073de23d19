"""Panopto links from the instructor page run with the instructor's own Panopto rights: connect once (in a new
window), the waiting request starts by itself in the course, later requests simply run; refusals and secrets."""

from __future__ import annotations

import sqlite3
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from handouts.wiring import open_runtime
from pipeline.addresses import lti_scope, lti_tenant
from pipeline.models import JobStatus
from pipeline.panopto import client as panopto_client
from pipeline.panopto import oauth as oauth_module
from pipeline.panopto.tables import PanoptoConnectState, PanoptoToken
from pipeline.sources import http as source_http
from tests.bot.conftest import quick_stages
from tests.fakes.http_server import http_server  # noqa: F401 - a fixture
from tests.fakes.panopto import install_panopto
from tests.fakes.panopto_oauth import install_oauth
from tests.lti.conftest import LtiWorld
from tests.lti.platform import LEARNER, Platform

CLIENT_ID = "handouts-lti-client-31"
CLIENT_SECRET = "cs-LTI-client-secret-never-shown-77"
PUBLIC = "http://handouts.test"
CUES = {1: [(0.0, 2.0, "Enzymes lower the activation energy"), (2.0, 4.0, "Substrates bind")]}
GUID = "0f6b4a62-1d2c-4e57-9a3b-aa12bb34cc56"


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setattr(panopto_client, "POLICY", panopto_client.RetryPolicy(initial=0.01, maximum=0.02, jitter=0))
    monkeypatch.setattr(source_http, "POLICY", source_http.RetryPolicy(initial=0.01, maximum=0.05, jitter=0.01))
    monkeypatch.setattr(oauth_module, "POLICY", oauth_module.RetryPolicy(attempts=3, initial=0.01, maximum=0.02))
    panopto_client.reset_politeness()
    yield
    panopto_client.reset_politeness()


class PanoptoLti(LtiWorld):
    """An LTI world whose Panopto server is the loopback fake (content and OAuth), with the real stages."""

    def __init__(self, rt, platform, http, oauth, content):
        super().__init__(rt, platform)
        self.http, self.oauth, self.content = http, oauth, content
        self.bodies: list[str] = []   # every page and address the browser saw, for the secrets search

    def page(self, **launch):
        resp, _, _ = self.launch(**launch)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        text = resp.get_data(as_text=True)
        self.bodies.append(text)
        return self.ticket_url(resp), self.csrf(text), text

    def request(self, base, csrf, url, **fields):
        data = {"csrf": csrf, "layout": ["16up", "notes"], "request_id": uuid.uuid4().hex, "url": url, **fields}
        resp = self.client.post(f"{base}jobs?csrf={csrf}", data=data, content_type="multipart/form-data")
        self.bodies += [resp.get_data(as_text=True), resp.headers.get("Location", "")]
        return resp

    def browse(self, link: str):
        """Open a Connect Panopto link as the new window would: our page, Panopto's consent, the callback."""
        first = self.client.get(urlsplit(link).path)
        self.bodies += [first.get_data(as_text=True), first.headers.get("Location", "")]
        assert first.status_code == 302, first.get_data(as_text=True)
        at_panopto = httpx.get(first.headers["Location"], follow_redirects=False)
        assert at_panopto.status_code == 302, at_panopto.text
        back = urlsplit(at_panopto.headers["Location"])
        assert f"{back.scheme}://{back.netloc}" == PUBLIC
        page = self.client.get(f"{back.path}?{back.query}")
        self.bodies.append(page.get_data(as_text=True))
        return page

    def states(self) -> list[PanoptoConnectState]:
        with self.rt.sessions() as s:
            return list(s.scalars(select(PanoptoConnectState)))


@pytest.fixture
def pworld(make_settings, http_server, tmp_path):  # noqa: F811 - the fixture above
    made = []

    def build(real=True, **overrides) -> PanoptoLti:
        oauth = install_oauth(http_server, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, users={"alice": "pw"})
        content = install_panopto(http_server, accept_bearer=oauth.is_valid)
        settings = make_settings(**{"HANDOUTS_PUBLIC_URL": PUBLIC, "HANDOUTS_OCR_ENGINE": "off",
                                    "PANOPTO_HOST": content.base_url, "PANOPTO_CLIENT_ID": CLIENT_ID,
                                    "PANOPTO_CLIENT_SECRET": CLIENT_SECRET, **overrides})
        rt = open_runtime(settings, immediate=True, stages=None if real else quick_stages())
        made.append(rt)
        return PanoptoLti(rt, Platform(http_server), http_server, oauth, content)

    yield build
    for rt in made:
        rt.close()


def _connect_link(text: str) -> str:
    import re

    found = re.search(r'<a class="button" href="([^"]+)" target="_blank" rel="noopener noreferrer">Connect Panopto',
                      text)
    assert found, text
    return found.group(1).replace("&amp;", "&")


def test_an_unlinked_instructor_connects_and_the_request_runs_in_the_course(pworld, tmp_path, caplog):
    import logging

    from pipeline.logs import configure_logging

    w = pworld(HANDOUTS_LOG_LEVEL="debug")
    configure_logging(w.rt.settings)  # as the web process sets it up, at its most talkative
    caplog.set_level(logging.DEBUG)
    w.oauth.signs_in = "alice"
    sid = w.content.add_session(tmp_path / "media", seconds=4, slides=2, captions=CUES)
    with capture_logs() as logs:
        base, csrf, home = w.page()
        assert "Your Panopto account" in home and "not linked" in home and "Connect Panopto" in home

        asked = w.request(base, csrf, w.content.viewer_url(sid), title="Week 3")
        text = asked.get_data(as_text=True)
        assert asked.status_code == 200 and "Connect your Panopto account first" in text
        assert "your own" in text and "starts by itself" in text
        assert w.jobs() == [], "nothing runs before the account is linked"
        [state] = w.states()
        tenant = lti_tenant(w.platform.issuer, "dep-1")
        assert state.tenant == tenant and state.user_id == "user-1"
        pending = state.pending
        assert pending["scope"] == lti_scope("course-1") and pending["owner"] == "user-1"
        assert pending["origin"] == "lti" and pending["address"]["context_id"] == "course-1"
        assert pending["address"]["return_url"].endswith("/course/course-1")
        assert pending["options"]["title"] == "Week 3"

        link = _connect_link(text)
        assert link.startswith(PUBLIC + "/panopto/connect/") and "?" not in link
        done = w.browse(link)
        assert done.status_code == 200 and "now linked" in done.get_data(as_text=True)
        assert "has started" in done.get_data(as_text=True) and "go back to the course page" in done.get_data(
            as_text=True)

        [job] = w.jobs()
        assert job.tenant == tenant and job.scope == lti_scope("course-1") and job.owner == "user-1"
        assert job.origin == "lti" and job.address.context_id == "course-1"
        assert job.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS), (job.status, job.error)
        assert any(a.kind == "pdf" or a.name.endswith(".pdf") for a in job.artifacts)
        # fetched as alice: every bearer the content fake saw is one the OAuth fake issued to her
        bearers = {r.headers.get("authorization", "")[7:] for r in w.http.requests
                   if r.path.startswith("/Panopto/api/v1/") and r.headers.get("authorization")}
        assert bearers and all(w.oauth.user_of(b) == "alice" for b in bearers)

        again = w.client.get(base)  # the course page, reloaded in the LMS, lists the job
        listing = again.get_data(as_text=True)
        w.bodies.append(listing)
        assert job.id in listing and "linked</strong> since" in listing

        # once linked, the next Panopto link simply runs
        second = w.request(base, w.csrf(listing), w.content.viewer_url(sid, start="2"))
        assert second.status_code == 303 and "created=" in second.headers["Location"]
        assert len(w.jobs()) == 2 and len(w.states()) == 1, "no second connect"
        assert w.jobs()[1].status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS)
        # the same form sent twice (a double click while connecting) makes one request, not two
        rid = uuid.uuid4().hex
        first = w.request(base, w.csrf(listing), w.content.viewer_url(sid, start="3"), request_id=rid)
        repeat = w.request(base, w.csrf(listing), w.content.viewer_url(sid, start="3"), request_id=rid)
        assert first.headers["Location"] == repeat.headers["Location"] and len(w.jobs()) == 3

    secrets = {CLIENT_SECRET, *w.oauth.access_tokens, *w.oauth.refresh_tokens, *w.content.cookies}
    secrets |= {code for code in w.oauth.codes}
    assert len(secrets) > 3
    logged = "\n".join(str(e) for e in logs) + "\n" + caplog.text
    dump = "\n".join(sqlite3.connect(tmp_path / "data" / "handouts.db").iterdump())
    pages = "\n".join(w.bodies)
    for secret in secrets:
        assert secret not in logged and secret not in dump and secret not in pages, secret[:6]


def test_a_link_to_another_panopto_server_is_refused_with_the_reason(pworld):
    w = pworld(real=False)
    base, csrf, _ = w.page()
    resp = w.request(base, csrf, f"https://other.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id={GUID}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "other.hosted.panopto.com is not the Panopto server set up" in text
    assert urlsplit(w.content.base_url).netloc in text
    assert w.jobs() == [] and w.states() == []


def test_a_folder_link_asks_for_one_recording(pworld):
    w = pworld(real=False)
    base, csrf, _ = w.page()
    folder = w.content.base_url + f"/Panopto/Pages/Sessions/List.aspx?folderID={GUID}"
    resp = w.request(base, csrf, folder)
    assert resp.status_code == 400 and "pick one recording" in resp.get_data(as_text=True)
    not_an_id = w.content.base_url + "/Panopto/Pages/Viewer.aspx?id=abc"
    resp = w.request(base, csrf, not_an_id)
    assert resp.status_code == 400 and "not a Panopto id" in resp.get_data(as_text=True)
    assert w.jobs() == [] and w.states() == []


def test_without_panopto_set_up_a_session_link_says_so(lti_world):
    w = lti_world()
    resp, _, _ = w.launch()
    text = resp.get_data(as_text=True)
    assert "Your Panopto account" not in text
    base, csrf = w.ticket_url(resp), w.csrf(text)
    r = w.client.post(f"{base}jobs?csrf={csrf}", data={"csrf": csrf, "layout": "notes",
                                                        "url": f"https://uni.hosted.panopto.com/Panopto/Pages/"
                                                               f"Viewer.aspx?id={GUID}"},
                      content_type="multipart/form-data")
    assert r.status_code == 400 and "no Panopto server is set up" in r.get_data(as_text=True)
    assert w.jobs() == []


def test_a_service_user_stands_in_where_allowed(pworld):
    w = pworld(real=False, PANOPTO_USERNAME="svc", PANOPTO_PASSWORD="svc-pw-never-shown",
               PANOPTO_ALLOW_SERVICE_USER=True)
    base, csrf, home = w.page()
    assert "service account stands in" in home
    resp = w.request(base, csrf, w.content.viewer_url(GUID))
    assert resp.status_code == 303
    assert len(w.jobs()) == 1 and w.states() == []
    assert "svc-pw-never-shown" not in home


def test_connect_and_disconnect_from_the_status_section(pworld):
    w = pworld(real=False)
    w.oauth.signs_in = "alice"
    base, csrf, home = w.page()
    assert 'target="_blank"' in home
    refused = w.client.post(f"{base}panopto/connect", data={"csrf": "nope"})
    assert refused.status_code == 403
    host = urlsplit(w.content.base_url).netloc
    wrong = w.client.post(f"{base}panopto/connect", data={"csrf": csrf, "host": "elsewhere.example"})
    assert wrong.status_code == 400 and "not a Panopto server set up here" in wrong.get_data(as_text=True)
    go = w.client.post(f"{base}panopto/connect", data={"csrf": csrf, "host": host})
    assert go.status_code == 303 and go.headers["Location"].startswith(PUBLIC + "/panopto/connect/")
    done = w.browse(go.headers["Location"])
    assert "now linked" in done.get_data(as_text=True) and w.jobs() == []
    with w.rt.sessions() as s:
        assert s.scalar(select(PanoptoToken)).user_id == "user-1"
    page = w.client.get(base).get_data(as_text=True)
    assert "linked</strong> since" in page and "Disconnect Panopto" in page

    assert w.client.post(f"{base}panopto/disconnect", data={"csrf": "nope"}).status_code == 403
    out = w.client.post(f"{base}panopto/disconnect", data={"csrf": csrf})
    assert out.status_code == 303 and "panopto=revoked" in out.headers["Location"]
    assert w.oauth.revocations
    after = w.client.get(out.headers["Location"]).get_data(as_text=True)
    assert "revoked at Panopto" in after and "<strong>not linked</strong>" in after
    with w.rt.sessions() as s:
        assert s.scalar(select(PanoptoToken)) is None
    again = w.client.post(f"{base}panopto/disconnect", data={"csrf": csrf})
    assert "panopto=none" in again.headers["Location"]


def test_learners_cannot_connect_or_disconnect(pworld):
    w = pworld(real=False)
    resp, _, _ = w.launch(roles=[LEARNER], sub="student-1")
    base = w.ticket_url(resp)
    text = resp.get_data(as_text=True)
    assert "Your Panopto account" not in text
    from lti.tables import LtiLaunch

    with w.rt.sessions() as s:
        csrf = s.scalar(select(LtiLaunch.csrf).where(LtiLaunch.user_id == "student-1"))
    for action in ("connect", "disconnect"):
        assert w.client.post(f"{base}panopto/{action}", data={"csrf": csrf}).status_code == 403
    assert w.states() == []


def test_without_a_public_address_connecting_is_refused_clearly_and_nothing_waits(pworld):
    w = pworld(real=False, HANDOUTS_PUBLIC_URL="")
    base, csrf, _ = w.page()
    resp = w.request(base, csrf, w.content.viewer_url(GUID))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 503 and "HANDOUTS_PUBLIC_URL" in text and "nothing was started" in text
    assert w.jobs() == [] and w.states() == []
    assert w.client.post(f"{base}panopto/connect", data={"csrf": csrf}).status_code == 503


def test_a_link_revoked_in_panopto_fails_the_job_with_what_to_do_and_shows_connect_again(pworld, tmp_path):
    w = pworld()
    w.oauth.signs_in = "alice"
    w.oauth.access_lifetime = 1   # the next fetch must refresh, and Panopto no longer honours the grant
    sid = w.content.add_session(tmp_path / "media", seconds=4, slides=2, captions=CUES)
    base, csrf, _ = w.page()
    go = w.client.post(f"{base}panopto/connect", data={"csrf": csrf})
    assert go.status_code == 303, go.get_data(as_text=True)
    assert "now linked" in w.browse(go.headers["Location"]).get_data(as_text=True)
    w.oauth.revoke_user("alice")
    import time

    time.sleep(1.1)
    resp = w.request(base, csrf, w.content.viewer_url(sid))
    assert resp.status_code == 303
    [job] = w.jobs()
    assert job.status in (JobStatus.FAILED, JobStatus.DEAD) and job.error["code"] == "panopto_not_linked"
    assert "connect your Panopto account again" in job.error["message"]
    page = w.client.get(base).get_data(as_text=True)
    assert "<strong>not linked</strong>" in page and "Connect Panopto" in page
    assert "Connect Panopto above, then Retry" in page, job.message
    # connect again from the page, then Retry: the same job runs with the new link
    w.oauth.access_lifetime = 3600
    again = w.client.post(f"{base}panopto/connect", data={"csrf": csrf})
    assert "now linked" in w.browse(again.headers["Location"]).get_data(as_text=True)
    assert w.client.post(f"{base}jobs/{job.id}/retry", data={"csrf": csrf}).status_code == 303
    [job] = w.jobs()
    assert job.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS), job.error


def test_placing_from_deep_linking_waits_for_the_connect_and_says_how_to_add_it(pworld):
    w = pworld(real=False)
    w.oauth.signs_in = "alice"
    base, csrf, home = w.page(message_type="LtiDeepLinkingRequest")
    assert "Your Panopto account" in home
    resp = w.request(base, csrf, w.content.viewer_url(GUID), place="1")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Connect your Panopto account first" in text
    assert "add it to the course from there" in text and w.jobs() == []
    done = w.browse(_connect_link(text))
    assert "has started" in done.get_data(as_text=True)
    [job] = w.jobs()
    assert job.scope == lti_scope("course-1") and job.origin == "lti"
    listing = w.client.get(base).get_data(as_text=True)
    assert job.id in listing and "Add to course" in listing


def test_a_request_sent_twice_before_connecting_starts_one_job(pworld):
    w = pworld(real=False)
    w.oauth.signs_in = "alice"
    base, csrf, _ = w.page()
    rid = uuid.uuid4().hex
    first = w.request(base, csrf, w.content.viewer_url(GUID), request_id=rid)
    second = w.request(base, csrf, w.content.viewer_url(GUID), request_id=rid)
    assert len(w.states()) == 2 and w.jobs() == []
    assert "has started" in w.browse(_connect_link(first.get_data(as_text=True))).get_data(as_text=True)
    [job] = w.jobs()
    # the second window, connected too: the same request, so the same job
    done = w.browse(_connect_link(second.get_data(as_text=True)))
    assert job.id in done.get_data(as_text=True) and [j.id for j in w.jobs()] == [job.id]
    # and the form sent a third time now finds the job instead of asking again
    third = w.request(base, csrf, w.content.viewer_url(GUID), request_id=rid)
    assert third.status_code == 303 and job.id in third.headers["Location"] and len(w.states()) == 2
