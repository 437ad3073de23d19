"""The Connect Panopto pages: the round trip through the fake's consent page, and every way it can go wrong."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.addresses import CliAddress, Origin
from pipeline.models import Job
from pipeline.panopto.accounts import pending_job
from pipeline.panopto.tables import PanoptoConnectState, PanoptoToken

T1 = "slack:T1"
URL = "https://uni.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id=0f6b4a62-1d2c-4e57-9a3b-aa12bb34cc56"


def _begin(w, pending=None, user="U1") -> str:
    state = w.accounts.begin_connect(tenant=T1, user=user, server=w.server, pending=pending)
    return w.accounts.connect_link(state)


def test_the_link_carries_only_an_opaque_state_and_the_database_only_its_digest(oauth_world):
    w = oauth_world()
    link = _begin(w)
    assert link.startswith("http://handouts.test/panopto/connect/")
    state = link.rsplit("/", 1)[1]
    assert len(state) >= 40 and "U1" not in link and "T1" not in link
    with w.sessions() as s:
        row = s.scalar(select(PanoptoConnectState))
        assert row.id != state and len(row.id) == 64 and row.used_at is None


def test_connecting_links_the_account_and_starts_the_pending_request(oauth_world):
    w = oauth_world(runtime=True)
    w.fake.signs_in = "alice"
    pending = pending_job(source=URL, tenant=T1, owner="U1", origin=Origin.CLI, address=CliAddress(), scope=None,
                          options={"no_quiz": True}, idempotency_key="connect-test-1")
    http = w.app().test_client()
    page = w.browse(http, _begin(w, pending))
    assert page.status_code == 200, page.text
    assert "now linked" in page.text and "has started" in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    with w.sessions() as s:
        job = s.scalar(select(Job))
        assert job.owner == "U1" and job.tenant == T1 and job.options["no_quiz"] is True
        assert job.status == "completed_with_warnings"  # the quick stages ran inline
        assert s.scalar(select(PanoptoToken)).user_id == "U1"
    token = w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    assert w.fake.user_of(token) == "alice" and w.fake.is_valid(token)
    authorize = w.http.requests_to("/Panopto/oauth2/connect/authorize")[0]
    assert "offline_access" in authorize.query["scope"] and authorize.query["redirect_uri"] == \
        "http://handouts.test/panopto/callback"


def test_a_state_works_once(oauth_world):
    w = oauth_world(runtime=True)
    w.fake.signs_in = "alice"
    http = w.app().test_client()
    link = _begin(w)
    assert w.browse(http, link).status_code == 200
    again = w.browse(http, link)
    assert again.status_code == 410 and "already used" in again.text


def test_a_replayed_callback_is_refused(oauth_world):
    w = oauth_world(runtime=True)
    w.fake.signs_in = "alice"
    http = w.app().test_client()
    state = _begin(w).rsplit("/", 1)[1]
    at_panopto = __import__("httpx").get(w.accounts.authorize_url(state), follow_redirects=False)
    back = at_panopto.headers["Location"].replace("http://handouts.test", "")
    assert http.get(back).status_code == 200
    replay = http.get(back)
    assert replay.status_code == 400 and "already used" in replay.text
    assert w.fake.count("authorization_code") == 1


def test_an_expired_state_says_so(oauth_world):
    w = oauth_world(runtime=True)
    http = w.app().test_client()
    link = _begin(w)
    w.clock.advance(11 * 60)
    page = http.get(link.replace("http://handouts.test", ""))
    assert page.status_code == 410 and "expired" in page.text and "10 minutes" in page.text


def test_an_unknown_state_and_a_callback_without_state_or_code(oauth_world):
    w = oauth_world(runtime=True)
    http = w.app().test_client()
    page = http.get("/panopto/connect/not-a-real-state")
    assert page.status_code == 404 and "not known" in page.text
    assert "without the connect state" in http.get("/panopto/callback?code=abc").text
    state = _begin(w).rsplit("/", 1)[1]
    no_code = http.get(f"/panopto/callback?state={state}")
    assert no_code.status_code == 400 and "without an authorization code" in no_code.text


def test_access_denied_links_nothing_and_starts_nothing(oauth_world):
    w = oauth_world(runtime=True)
    w.fake.deny = True
    pending = pending_job(source=URL, tenant=T1, owner="U1", origin=Origin.CLI, address=CliAddress(), scope=None,
                          options={}, idempotency_key="connect-test-2")
    page = w.browse(w.app().test_client(), _begin(w, pending))
    assert page.status_code == 400 and "did not allow Handouts" in page.text
    with w.sessions() as s:
        assert s.scalar(select(Job)) is None and s.scalar(select(PanoptoToken)) is None


def test_panopto_down_at_the_callback_stores_nothing(oauth_world):
    w = oauth_world(runtime=True)
    w.fake.signs_in = "alice"
    http = w.app().test_client()
    w.fake.outage = True
    page = w.browse(http, _begin(w))
    assert page.status_code == 502 and "Try again" in page.text and "Nothing was stored" in page.text
    with w.sessions() as s:
        assert s.scalar(select(PanoptoToken)) is None


def test_no_public_address_is_a_clear_configuration_error(oauth_world):
    import pytest

    from pipeline.errors import ConfigError

    w = oauth_world(settings={"HANDOUTS_PUBLIC_URL": ""})
    with pytest.raises(ConfigError) as e:
        _begin(w)
    assert "HANDOUTS_PUBLIC_URL" in e.value.message


def test_the_pages_are_open_to_browsers_elsewhere_while_the_status_pages_are_not(oauth_world):
    w = oauth_world(runtime=True, settings={"HANDOUTS_ADMIN_TOKEN": "adm-1", "HANDOUTS_SECRET_KEY": "k" * 40})
    http = w.app().test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert http.get("/", environ_base=remote).status_code == 401  # sign in first
    assert http.get("/panopto/connect/nope", environ_base=remote).status_code == 404


def test_an_expired_state_is_refused_at_the_callback_too(oauth_world):
    w = oauth_world(runtime=True)
    w.fake.signs_in = "alice"
    http = w.app().test_client()
    state = _begin(w).rsplit("/", 1)[1]
    at_panopto = __import__("httpx").get(w.accounts.authorize_url(state), follow_redirects=False)
    w.clock.advance(11 * 60)  # the person took too long at Panopto's page
    page = http.get(at_panopto.headers["Location"].replace("http://handouts.test", ""))
    assert page.status_code == 400 and "expired" in page.text
    assert w.fake.count("authorization_code") == 0
    with w.sessions() as s:
        assert s.scalar(select(PanoptoToken)) is None


def test_two_callbacks_with_one_state_at_once_link_once(oauth_world):
    import threading

    import httpx

    from pipeline.panopto.accounts import ConnectProblem

    w = oauth_world()
    w.fake.signs_in = "alice"
    state = _begin(w).rsplit("/", 1)[1]
    code = httpx.URL(httpx.get(w.accounts.authorize_url(state), follow_redirects=False)
                     .headers["Location"]).params["code"]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def callback():
        barrier.wait()
        try:
            w.accounts.complete(state=state, code=code)
            outcomes.append("linked")
        except ConnectProblem as e:
            outcomes.append(e.reason)

    threads = [threading.Thread(target=callback) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["linked", "used"]
    assert w.fake.count("authorization_code") == 1


def test_old_states_are_cleared_as_new_ones_are_made(oauth_world):
    w = oauth_world()
    _begin(w)
    w.clock.advance(2 * 86400)
    _begin(w)
    with w.sessions() as s:
        assert len(list(s.scalars(select(PanoptoConnectState)))) == 1
