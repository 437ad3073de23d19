"""No Panopto credential in plain text in the database file, the logs, or an error message."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog

from pipeline.logs import configure_logging
from pipeline.panopto.contract import PanoptoNotLinked

from .conftest import CLIENT_SECRET, PASSWORD, SERVICE_PASSWORD

T1 = "slack:T1"


def _database_bytes(settings) -> bytes:
    path = Path(settings.db_url[len("sqlite:///"):])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, its -wal and -shm


def test_no_token_password_or_client_secret_in_the_database_or_the_logs(oauth_world, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    w = oauth_world(username="svc", password=SERVICE_PASSWORD, service_user_allowed=True)
    configure_logging(w.settings.model_copy(update={"log_level": "debug", "log_format": "json"}))
    w.link_alice()                                                     # password grant
    state = w.accounts.begin_connect(tenant=T1, user="U2", server=w.server)
    w.fake.signs_in = "alice"
    import httpx

    back = httpx.get(w.accounts.authorize_url(state), follow_redirects=False).headers["location"]
    code = httpx.URL(back).params["code"]
    w.accounts.complete(state=state, code=code)                        # authorization code
    w.tokens.bearer_for(tenant=T1, user="U9", server=w.server)         # service user
    w.clock.advance(3600)
    w.tokens.bearer_for(tenant=T1, user="U1", server=w.server)         # a refresh
    w.fake.revoke_user("alice")
    w.clock.advance(3600)
    with pytest.raises(PanoptoNotLinked) as e:
        w.tokens.bearer_for(tenant=T1, user="U2", server=w.server)     # a refused refresh
    w.accounts.disconnect(tenant=T1, user="U1")
    # the authorization code travels in the browser's callback URL by OAuth's design (single use, worthless
    # without the client secret): it is looked for in the database, not in the browser's own request lines
    secrets = [CLIENT_SECRET, PASSWORD, SERVICE_PASSWORD, *w.fake.refresh_tokens, *w.fake.access_tokens]
    assert len(secrets) > 8
    stored = _database_bytes(w.settings)
    assert b"panopto_tokens" in stored  # the right file was read
    out = capsys.readouterr()
    logged = out.out + out.err + caplog.text + repr(e.value.as_dict()) + e.value.message
    assert "panopto_token_refreshed" in logged
    for secret in secrets:
        assert secret.encode() not in stored, f"{secret[:6]}… is stored in plain text"
        assert secret not in logged, f"{secret[:6]}… appears in a log line or an error"
    assert code.encode() not in stored
    structlog.reset_defaults()
