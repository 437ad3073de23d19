"""Stored Panopto tokens: refresh before expiry, rotation under two workers at once, revocation, outages."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from pipeline import db
from pipeline.errors import InputError
from pipeline.panopto.contract import PanoptoAuthFailed, PanoptoNotLinked
from pipeline.panopto.oauth import PanoptoOAuth
from pipeline.panopto.tables import SERVICE_USER, PanoptoToken

from .conftest import CLIENT_SECRET, PASSWORD, SERVICE_PASSWORD

T1 = "slack:T1"


def _row(w, user="U1") -> PanoptoToken | None:
    with w.sessions() as s:
        return s.scalar(select(PanoptoToken).where(PanoptoToken.tenant == T1, PanoptoToken.user_id == user))


def test_a_fresh_token_is_used_and_one_near_expiry_is_refreshed_with_the_rotated_refresh_token(oauth_world):
    w = oauth_world()
    w.link_alice()
    first = w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    assert w.fake.is_valid(first) and w.fake.user_of(first) == "alice"
    assert w.tokens.bearer_for(tenant=T1, user="U1", server=w.server) == first
    assert w.fake.count("refresh_token") == 0
    old_refresh = w.fake.live_refresh_tokens("alice")
    w.clock.advance(3600 - 30)  # inside the 60 s margin: renewed before it lapses
    second = w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    assert second != first and w.fake.is_valid(second)
    assert w.fake.count("refresh_token") == 1
    now_live = w.fake.live_refresh_tokens("alice")
    assert len(now_live) == 1 and now_live != old_refresh  # the old one is spent, the new one stored
    assert _row(w).version == 2


def _race(w, stores, user="U1"):
    results, errors = [], []
    barrier = threading.Barrier(len(stores))

    def work(store):
        barrier.wait()
        try:
            results.append(store.bearer_for(tenant=T1, user=user, server=w.server))
        except Exception as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    threads = [threading.Thread(target=work, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def _two_workers_refresh_at_once(w):
    w.link_alice()
    w.clock.advance(3600)
    w.fake.refresh_delay = 0.3  # the first refresh is still at Panopto when the second worker arrives
    engines = [db.make_engine(w.settings.db_url) for _ in range(2)]  # as two processes: own pools, own sessions
    try:
        stores = [w.store(db.make_sessionmaker(e)) for e in engines]
        results, errors = _race(w, stores)
    finally:
        for e in engines:
            e.dispose()
    assert errors == []
    assert len(results) == 2 and all(w.fake.is_valid(t) for t in results)
    assert results[0] == results[1]            # the loser re-read the row and took the winner's token
    assert w.fake.count("refresh_token") == 1  # the rotating refresh token was spent once
    assert len(w.fake.live_refresh_tokens("alice")) == 1
    row = _row(w)
    assert row.version == 2
    assert w.store().bearer_for(tenant=T1, user="U1", server=w.server) == results[0]


def test_two_workers_refreshing_at_once_both_end_with_a_valid_token_sqlite(oauth_world):
    _two_workers_refresh_at_once(oauth_world())


def test_two_workers_refreshing_at_once_both_end_with_a_valid_token_postgres(oauth_world, postgres_url):
    _two_workers_refresh_at_once(oauth_world(db_url=postgres_url))


def test_a_lost_compare_and_swap_reads_the_winners_token(oauth_world, monkeypatch):
    """A worker whose write finds the version moved on does not store its tokens; it reads the row again.

    The row lock makes this rare (a lock that a database did not honour); it is simulated by reading unlocked.
    """
    w = oauth_world()
    w.link_alice()
    w.clock.advance(3600)
    store = w.store()
    real = PanoptoOAuth.refresh
    monkeypatch.setattr(db, "locked", lambda session, model, pk: session.get(model, pk))

    def refresh_then_lose(self, token):
        got = real(self, token)
        other = w.store()
        with db.transaction(w.sessions) as s:  # another worker's rotation lands first
            row = s.scalar(select(PanoptoToken))
            row.version += 1
            row.access_token = other.cipher.encrypt("pat-winner")
            row.access_expires_at = w.clock() + __import__("datetime").timedelta(hours=1)
        return got

    monkeypatch.setattr(PanoptoOAuth, "refresh", refresh_then_lose)
    assert store.bearer_for(tenant=T1, user="U1", server=w.server) == "pat-winner"
    assert _row(w).version == 2


def test_a_revoked_link_asks_to_connect_again_and_is_forgotten(oauth_world):
    w = oauth_world()
    w.link_alice()
    w.fake.revoke_user("alice")
    w.clock.advance(3600)
    with pytest.raises(PanoptoNotLinked) as e:
        w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    assert isinstance(e.value, InputError)
    assert "connect your Panopto account again" in e.value.message
    assert e.value.server_host == f"127.0.0.1:{w.http.port}" and e.value.tenant == T1 and e.value.user == "U1"
    assert _row(w) is None


def test_nobody_linked_and_no_service_user_is_not_linked(oauth_world):
    w = oauth_world()
    with pytest.raises(PanoptoNotLinked) as e:
        w.tokens.bearer_for(tenant=T1, user="U9", server=w.server)
    assert "Connect your Panopto account" in e.value.message


def test_the_service_user_stands_in_only_where_allowed(oauth_world):
    w = oauth_world(username="svc", password=SERVICE_PASSWORD, service_user_allowed=False)
    with pytest.raises(PanoptoNotLinked):
        w.tokens.bearer_for(tenant=T1, user="U9", server=w.server)
    assert w.fake.count("password") == 0
    w2 = oauth_world(username="svc", password=SERVICE_PASSWORD, service_user_allowed=True)
    token = w2.tokens.bearer_for(tenant=T1, user="U9", server=w2.server)
    assert w2.fake.user_of(token) == "svc" and w2.fake.is_valid(token)
    assert w2.tokens.bearer_for(tenant=T1, user=None, server=w2.server) == token  # cached, not a new login
    assert w2.fake.count("password") == 1
    w2.clock.advance(3600)
    renewed = w2.tokens.bearer_for(tenant=T1, user="U9", server=w2.server)
    assert renewed != token and w2.fake.is_valid(renewed)
    assert _row(w2, SERVICE_USER).version == 2


def test_a_person_with_a_link_uses_their_own_token_even_where_a_service_user_exists(oauth_world):
    w = oauth_world(username="svc", password=SERVICE_PASSWORD, service_user_allowed=True)
    w.link_alice()
    assert w.fake.user_of(w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)) == "alice"


def test_a_login_page_instead_of_json_says_so(oauth_world):
    w = oauth_world()
    w.fake.login_page = True
    with pytest.raises(PanoptoAuthFailed) as e:
        w.link_alice()
    assert "web page" in e.value.message and not e.value.retryable


def test_an_outage_is_retried_then_reported_as_retryable(oauth_world):
    w = oauth_world()
    w.fake.outage = 2  # two 503s, then an answer: the retries carry it
    w.link_alice()
    assert _row(w) is not None
    w.fake.outage = True
    w.clock.advance(3600)
    with pytest.raises(PanoptoAuthFailed) as e:
        w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    assert e.value.retryable and "503" in e.value.message and "Try again" in e.value.message
    assert _row(w) is not None  # an outage never loses the link
    w.fake.outage = 0
    assert w.fake.is_valid(w.tokens.bearer_for(tenant=T1, user="U1", server=w.server))


def test_a_wrong_client_secret_and_a_wrong_password_are_named(oauth_world):
    w = oauth_world(client_secret="not-the-secret")
    with pytest.raises(PanoptoAuthFailed) as e:
        w.link_alice()
    assert "API client" in e.value.message and "not-the-secret" not in e.value.message
    w2 = oauth_world()
    with pytest.raises(InputError) as e2:
        w2.accounts.login(tenant=T1, user="U1", server=w2.server, username="alice", password="wrong")
    assert "did not accept the user name 'alice'" in e2.value.message


def test_disconnect_revokes_at_panopto_and_deletes_the_link(oauth_world):
    w = oauth_world()
    w.link_alice()
    access = w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    refresh = w.fake.live_refresh_tokens("alice")
    assert w.accounts.disconnect(tenant=T1, user="U1") == [(f"127.0.0.1:{w.http.port}", True)]
    assert w.fake.revocations == refresh
    assert not w.fake.is_valid(access) and w.fake.live_refresh_tokens("alice") == []
    assert _row(w) is None
    assert w.accounts.disconnect(tenant=T1, user="U1") == []  # again: nothing left to remove


def test_disconnect_during_an_outage_still_forgets_the_link(oauth_world):
    w = oauth_world()
    w.link_alice()
    w.fake.outage = True
    assert w.accounts.disconnect(tenant=T1, user="U1") == [(f"127.0.0.1:{w.http.port}", False)]
    assert _row(w) is None


def test_tokens_are_encrypted_at_rest(oauth_world):
    w = oauth_world()
    w.link_alice()
    row = _row(w)
    assert row.refresh_token.startswith("enc1:") and row.access_token.startswith("enc1:")
    (refresh,) = w.fake.live_refresh_tokens("alice")
    assert refresh not in row.refresh_token and w.tokens.cipher.decrypt(row.refresh_token) == refresh
    access = w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    assert access not in row.access_token and w.tokens.cipher.decrypt(row.access_token) == access
    assert CLIENT_SECRET not in repr(row.__dict__) and PASSWORD not in repr(row.__dict__)


def _process_worker(db_url: str, base_url: str, at: float, out) -> None:
    """One worker process: its own settings, engine and store, asking for the same person's token."""
    from datetime import datetime, timezone

    from pipeline import db as pdb
    from pipeline.panopto.tokens import TokenStore
    from pipeline.settings import load_settings

    from .conftest import CLIENT_ID, CLIENT_SECRET, PanoptoServer

    settings = load_settings(DATABASE_URL=db_url, HANDOUTS_ALLOW_PRIVATE_URLS=True, HANDOUTS_AUTO_MIGRATE=False)
    engine = pdb.make_engine(settings.db_url)
    server = PanoptoServer(tenant=T1, base_url=base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           username=None, password=None, service_user_allowed=False)
    store = TokenStore(settings, pdb.make_sessionmaker(engine), now=lambda: datetime.fromtimestamp(at, timezone.utc))
    try:
        out.put(("ok", store.bearer_for(tenant=T1, user="U1", server=server)))
    except Exception as e:  # noqa: BLE001 - reported to the parent
        out.put(("error", repr(e)))
    finally:
        engine.dispose()


def _two_processes_refresh_at_once(w):
    import multiprocessing

    w.link_alice()
    w.clock.advance(3600)
    w.fake.refresh_delay = 0.5
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_process_worker, args=(w.settings.db_url, w.server.base_url,
                                                       w.clock.t.timestamp(), out)) for _ in range(2)]
    for p in procs:
        p.start()
    answers = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert [kind for kind, _ in answers] == ["ok", "ok"], answers
    tokens = [t for _, t in answers]
    assert tokens[0] == tokens[1] and w.fake.is_valid(tokens[0])
    assert w.fake.count("refresh_token") == 1 and _row(w).version == 2


def test_two_processes_refreshing_at_once_both_end_with_a_valid_token_sqlite(oauth_world):
    _two_processes_refresh_at_once(oauth_world())


def test_two_processes_refreshing_at_once_both_end_with_a_valid_token_postgres(oauth_world, postgres_url):
    _two_processes_refresh_at_once(oauth_world(db_url=postgres_url))


def test_a_429_with_retry_after_is_waited_out(oauth_world):
    w = oauth_world()
    real = w.fake.token

    def busy_once(req, n):
        if n == 0:
            from tests.fakes.http_server import Reply

            return Reply(429, b"slow down", "text/plain", {"Retry-After": "0"}, ranges=False)
        return real(req, n)

    w.http.route("/Panopto/oauth2/connect/token", busy_once)
    w.link_alice()
    assert w.http.hits("/Panopto/oauth2/connect/token") == 2 and _row(w) is not None


def test_a_token_panopto_refused_early_is_dropped_and_the_next_call_refreshes(oauth_world):
    w = oauth_world()
    w.link_alice()
    first = w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    w.tokens.invalidate(tenant=T1, user="U1", server=w.server, token="pat-someone-elses")  # not ours: kept
    assert w.tokens.bearer_for(tenant=T1, user="U1", server=w.server) == first
    w.tokens.invalidate(tenant=T1, user="U1", server=w.server, token=first)
    second = w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)
    assert second != first and w.fake.is_valid(second) and w.fake.count("refresh_token") == 1
