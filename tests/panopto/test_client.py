"""The Panopto client against the fake: lookups, the cookie, DeliveryInfo, captions, and each failure."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.errors import SourceUnavailable
from pipeline.panopto.client import (PanoptoClient, PanoptoForbidden, PanoptoLoginPage, PanoptoNoStreams,
                                     PanoptoProcessing, PanoptoSessionNotFound, download_slot, language_order)
from pipeline.panopto.credentials import PanoptoAuthFailed
from pipeline.panopto.servers import PanoptoServer
from tests.panopto.conftest import GOOD_TOKEN


@pytest.fixture
def settings(make_settings):
    return make_settings(HANDOUTS_PANOPTO_RETRIES=2, HANDOUTS_PANOPTO_BREAKER_FAILURES=2)


def _client(panopto, settings, token=GOOD_TOKEN) -> PanoptoClient:
    server = PanoptoServer("local", panopto.base_url, "cid", "csecret")
    return PanoptoClient(server, settings, token, tenant="local", user="u1")


def test_session_delivery_captions_and_slides(panopto, settings, tmp_path):
    sid = panopto.add_session(tmp_path, slides=2, seconds=4,
                              captions={0: [], 1: [(0.0, 1.5, "Enzymes lower"), (1.5, 3.0, "activation energy")]})
    with _client(panopto, settings) as c:
        info = c.session(sid)
        assert (info.name, info.date, info.duration) == ("Week 3: Enzymes", "2026-03-04", 4.0)
        delivery = c.delivery(sid)
        assert panopto.logins == 1 and c.logged_in
        assert delivery.slides_stream().tag == "SCREEN" and delivery.audio_stream().podcast
        assert [(s.number, s.time) for s in delivery.slides] == [(1, 0.0), (2, 2.0)]
        assert delivery.languages == [0, 1]
        assert c.captions(sid, 0) == []                       # a blank en-US track
        cues = c.captions(sid, 1)
        assert [(q.start, q.end, q.text) for q in cues] == [(0.0, 1.5, "Enzymes lower"), (1.5, 3.0, "activation energy")]
        assert c.slide_image(delivery.slides[0]).startswith(b"\x89PNG")
    # the bearer only ever travels in the Authorization header of the REST calls; nothing is marked watched
    for r in panopto.server.requests:
        assert GOOD_TOKEN not in r.path and GOOD_TOKEN.encode() not in r.body
        assert ("authorization" in r.headers) == r.path.startswith("/Panopto/api/v1/")
        assert "Analytics" not in r.path
    posted = panopto.server.requests_to("/Panopto/Pages/Viewer/DeliveryInfo.aspx")
    assert posted and all(r.method == "POST" and "x-csrf-token" in r.headers for r in posted)
    assert posted[0].form["deliveryId"] == sid and posted[0].form["responseType"] == "json"


def test_language_order_prefers_the_tenant_language_then_tries_the_rest():
    assert language_order([0, 1, 4], "de-DE", "en") == [4, 0, 1]
    assert language_order([0, 1, 4], None, "en-GB") == [1, 0, 4]
    assert language_order([4, 5], None, "en") == [4, 5]


@pytest.mark.parametrize("switch, error, words", [
    ("not_found", PanoptoSessionNotFound, "has no session"),
    ("forbidden", PanoptoForbidden, "ask the recording's owner"),
    ("processing", PanoptoProcessing, "try again when processing ends"),
    ("login_page", PanoptoLoginPage, "sign-in page"),
])
def test_session_lookup_failures_say_what_to_do(panopto, settings, tmp_path, switch, error, words):
    sid = panopto.add_session(tmp_path, screen=None)
    setattr(panopto.fail, switch, True)
    with _client(panopto, settings) as c, pytest.raises(error) as e:
        c.session(sid)
    assert words in e.value.message and GOOD_TOKEN not in e.value.message


def test_delivery_failures(panopto, settings, tmp_path):
    sid = panopto.add_session(tmp_path, screen=None)
    panopto.fail.no_streams = True
    with _client(panopto, settings) as c, pytest.raises(PanoptoNoStreams, match="has no video"):
        c.delivery(sid)
    panopto.fail.no_streams, panopto.fail.forbidden = False, True
    with _client(panopto, settings) as c, pytest.raises(PanoptoForbidden):
        c.delivery(sid)


def test_a_rejected_token_and_a_cookie_that_never_works(panopto, settings, tmp_path):
    sid = panopto.add_session(tmp_path, screen=None)
    with _client(panopto, settings, token="revoked") as c, pytest.raises(PanoptoAuthFailed) as e:
        c.session(sid)
    assert "Connect your Panopto account again" in e.value.message
    panopto.fail.login_required = True
    with _client(panopto, settings) as c, pytest.raises(PanoptoAuthFailed):
        c.delivery(sid)
    assert panopto.logins == 2, "one fresh sign-in, then it gives up"


def test_an_expired_cookie_is_renewed_once(panopto, settings, tmp_path):
    sid = panopto.add_session(tmp_path, screen=None)
    panopto.fail.expire_cookie_once = True
    with _client(panopto, settings) as c:
        assert c.delivery(sid).podcast_streams
    assert panopto.logins == 2


def test_429_is_retried_and_an_outage_opens_the_circuit(panopto, settings, tmp_path):
    sid = panopto.add_session(tmp_path, screen=None)
    panopto.fail.rate_limit = 2
    with _client(panopto, settings) as c:
        assert c.session(sid).name
    assert panopto.server.hits(f"/Panopto/api/v1/sessions/{sid}") == 3
    panopto.fail.outage = True
    for _ in range(2):
        with _client(panopto, settings) as c, pytest.raises(SourceUnavailable) as e:
            c.session(sid)
        assert e.value.retryable and "try again in a few minutes" in e.value.message
    before = len(panopto.server.requests)
    with _client(panopto, settings) as c, pytest.raises(SourceUnavailable, match="pauses calls"):
        c.session(sid)
    assert len(panopto.server.requests) == before, "an open circuit sends nothing"


def test_one_download_per_host_at_a_time():
    running, peak, lock = [0], [0], threading.Lock()

    def work():
        with download_slot("uni.hosted.panopto.com", 1):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1


def test_a_long_retry_after_is_not_slept_through(panopto, settings, tmp_path):
    from tests.fakes.http_server import Reply

    sid = panopto.add_session(tmp_path, screen=None)
    panopto.server.route(f"/Panopto/api/v1/sessions/{sid}",
                         lambda req, n: Reply(429, b"slow down", "text/plain", {"Retry-After": "3600"}, ranges=False))
    started = time.monotonic()
    with _client(panopto, settings) as c, pytest.raises(SourceUnavailable) as e:
        c.session(sid)
    assert time.monotonic() - started < 2 and "asks to wait 3600 s" in e.value.message and e.value.retryable


def test_log_fields_named_like_cookies_or_bearers_are_masked():
    from pipeline.logs import _drop_secrets

    event = _drop_secrets(None, "info", {"event": "x", "set_cookie": ".ASPXAUTH=abc", "bearer": "t0k", "host": "h"})
    assert event == {"event": "x", "set_cookie": "***", "bearer": "***", "host": "h"}
