"""Shared pieces of the Panopto tests: the fake server, a credentials object, fast retries."""

from __future__ import annotations

import pytest

from pipeline.panopto import client as panopto_client
from pipeline.sources import http as source_http
from tests.fakes.http_server import http_server  # noqa: F401 - fixture
from tests.fakes.panopto import install_panopto

GOOD_TOKEN = "bearer-SECRET-4f1d9c2a77"


class StaticCredentials:
    """The PanoptoCredentials port for tests: one token for every person, or none (not linked)."""

    def __init__(self, token: str | None = GOOD_TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, str | None, str]] = []

    def bearer_for(self, *, tenant, user, server):
        from pipeline.panopto.credentials import PanoptoNotLinked

        self.calls.append((tenant, user, server.netloc))
        if self.token is None:
            raise PanoptoNotLinked(server.netloc, tenant, user)
        return self.token


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setattr(panopto_client, "POLICY", panopto_client.RetryPolicy(initial=0.01, maximum=0.02, jitter=0))
    monkeypatch.setattr(source_http, "POLICY", source_http.RetryPolicy(initial=0.01, maximum=0.05, jitter=0.01))
    panopto_client.reset_politeness()
    yield
    panopto_client.reset_politeness()


@pytest.fixture
def panopto(http_server):  # noqa: F811 - the fixture above
    return install_panopto(http_server, accept_bearer=lambda token: token == GOOD_TOKEN)
