"""`handouts panopto login|logout|status`: the local CLI user's Panopto account, password asked with getpass."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from handouts import wiring
from handouts.cli import main
from pipeline.panopto.accounts import StaticServers
from pipeline.panopto.tables import PanoptoToken

from .conftest import CLIENT_ID, CLIENT_SECRET, PASSWORD, PanoptoServer


@pytest.fixture
def cli(tmp_path, monkeypatch, http_server):
    from tests.fakes.panopto_oauth import install_oauth

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HANDOUTS_ALLOW_PRIVATE_URLS", "true")
    fake = install_oauth(http_server, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, users={"alice": PASSWORD})
    server = PanoptoServer(tenant="local", base_url=http_server.url(""), client_id=CLIENT_ID,
                           client_secret=CLIENT_SECRET, username=None, password=None, service_user_allowed=False)
    servers = [server]
    monkeypatch.setattr(wiring, "panopto_servers", lambda settings, sessions: StaticServers(servers))
    asked = []

    def getpass(prompt):
        asked.append(prompt)
        return fake.next_password

    monkeypatch.setattr("getpass.getpass", getpass)
    fake.next_password = PASSWORD
    fake.asked, fake.servers = asked, servers
    fake.db = tmp_path / "data" / "handouts.db"
    return fake


def _rows(db: Path) -> list[PanoptoToken]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as c:
            return list(c.execute(select(PanoptoToken.__table__)))
    finally:
        engine.dispose()


def test_login_asks_for_the_password_links_the_local_user_and_logout_revokes(cli, capsys):
    assert main(["panopto", "login", "--username", "alice"]) == 0
    assert cli.asked == ["Panopto password for alice: "]
    out = capsys.readouterr().out
    assert "linked your Panopto account alice" in out and PASSWORD not in out
    (row,) = _rows(cli.db)
    assert row.tenant == "local" and row.user_id == "local" and row.grant == "password"
    assert PASSWORD.encode() not in cli.db.read_bytes()
    assert main(["panopto", "status"]) == 0
    assert "linked as alice" in capsys.readouterr().out
    refresh = cli.live_refresh_tokens("alice")
    assert main(["panopto", "logout"]) == 0
    assert "Panopto revoked the access" in capsys.readouterr().out
    assert cli.revocations == refresh and _rows(cli.db) == []
    assert main(["panopto", "logout"]) == 0
    assert "no Panopto account was linked" in capsys.readouterr().out


def test_a_wrong_password_is_named_and_nothing_is_stored(cli, capsys):
    cli.next_password = "pw-Typo-991"
    assert main(["panopto", "login", "--username", "alice"]) == 1
    out = capsys.readouterr()
    assert "did not accept the user name 'alice'" in out.err and "pw-Typo-991" not in out.err + out.out
    assert _rows(cli.db) == []


def test_login_without_a_server_or_with_an_unknown_host_says_what_to_do(cli, capsys):
    assert main(["panopto", "login", "--username", "alice", "--host", "nowhere.example.edu"]) == 1
    assert "not a Panopto server set up here" in capsys.readouterr().err
    cli.servers.clear()
    assert main(["panopto", "login", "--username", "alice"]) == 1
    assert "add-server" in capsys.readouterr().err
    assert cli.asked == []  # no password asked for a login that cannot happen
