"""A Panopto OAuth fake on loopback, a migrated database, and the account services over them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
import pytest

from pipeline import db
from pipeline.panopto import oauth as oauth_module
from pipeline.panopto.accounts import PanoptoAccounts, StaticServers
from pipeline.panopto.tokens import TokenStore
from handouts.schema import upgrade
from tests.fakes.http_server import http_server  # noqa: F401 - a fixture
from tests.fakes.panopto_oauth import install_oauth
from tests.fakes.pg import scratch_database

CLIENT_ID = "handouts-client-7f3a"
CLIENT_SECRET = "cs-Zq9-very-secret-client-value"
PASSWORD = "pw-Alice-not-for-logs-42"
SERVICE_PASSWORD = "pw-Service-not-for-logs-99"


try:
    from pipeline.panopto.servers import PanoptoServer  # type: ignore[import-not-found]
except ImportError:
    @dataclass(frozen=True)
    class PanoptoServer:  # type: ignore[no-redef]
        """The fields the account side reads of a configured server."""

        tenant: str
        base_url: str
        client_id: str
        client_secret: str
        username: str | None = None
        password: str | None = None
        service_user_allowed: bool = False


class Clock:
    """A settable "now" shared by the token store and the fake's expiry."""

    def __init__(self) -> None:
        self.t = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    monkeypatch.setattr(oauth_module, "POLICY", oauth_module.RetryPolicy(attempts=3, initial=0.01, maximum=0.02))


class OAuthWorld:
    """The fake, one server for tenant slack:T1, settings, and the stores over a migrated database."""

    def __init__(self, make_settings, http, db_url: str | None = None, settings: dict | None = None,
                 runtime: bool = False, **server_fields) -> None:
        self.http = http
        self.fake = install_oauth(http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                  users={"alice": PASSWORD, "svc": SERVICE_PASSWORD})
        self.clock = Clock()
        self.fake.clock = lambda: self.clock.t.timestamp()
        values = {"HANDOUTS_PUBLIC_URL": "http://handouts.test", **(settings or {})}
        if db_url:
            values["DATABASE_URL"] = db_url
        self.settings = make_settings(**values)
        self.rt = None
        if runtime:  # the whole process: Runtime with quick stages run inline, the app factory's web app
            from handouts.wiring import open_runtime
            from tests.bot.conftest import quick_stages

            self.rt = open_runtime(self.settings, immediate=True, stages=quick_stages())
            self.engine, self.sessions = self.rt.engine, self.rt.sessions
        else:
            self.engine = db.make_engine(self.settings.db_url)
            upgrade(self.engine)
            self.sessions = db.make_sessionmaker(self.engine)
        self.server = PanoptoServer(**{"tenant": "slack:T1", "base_url": http.url("/Panopto"),
                                       "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                       "username": None, "password": None, "service_user_allowed": False,
                                       **server_fields})
        self.tokens = self.store()
        self.accounts = PanoptoAccounts(self.settings, self.sessions, StaticServers([self.server]),
                                        tokens=self.tokens, now=self.clock)

    def app(self):
        """The web app over this world's Runtime and account service."""
        from handouts.app import create_app

        return create_app(runtime=self.rt, panopto=self.accounts)

    def browse(self, client, link: str):
        """Follow a connect link as a browser would: our page, Panopto's consent page, back to the callback."""
        path = urlsplit(link)
        first = client.get(path.path)
        if first.status_code != 302:
            return first
        at_panopto = httpx.get(first.headers["Location"], follow_redirects=False)
        assert at_panopto.status_code == 302, at_panopto.text
        back = urlsplit(at_panopto.headers["Location"])
        assert f"{back.scheme}://{back.netloc}" == "http://handouts.test"
        return client.get(f"{back.path}?{back.query}")

    def store(self, sessions=None) -> TokenStore:
        return TokenStore(self.settings, sessions or self.sessions, now=self.clock)

    def link_alice(self, user: str = "U1") -> None:
        self.accounts.login(tenant="slack:T1", user=user, server=self.server, username="alice", password=PASSWORD)

    def close(self) -> None:
        if self.rt is not None:
            self.rt.close()
        else:
            self.engine.dispose()


@pytest.fixture
def oauth_world(make_settings, http_server):  # noqa: F811 - the fixture above
    made = []

    def build(**kw) -> OAuthWorld:
        w = OAuthWorld(make_settings, http_server, **kw)
        made.append(w)
        return w

    yield build
    for w in made:
        w.close()


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database (TEST_DATABASE_URL) for this session, dropped afterwards; else skipped."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    with scratch_database(base, "handouts_pauth") as url:
        yield url
