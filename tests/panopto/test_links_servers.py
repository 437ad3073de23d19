"""Panopto links read apart, the server registry (settings and table), and the `handouts panopto` commands."""

from __future__ import annotations

import json

import pytest

from bot.command import parse_command
from pipeline import db
from pipeline.errors import ConfigError, InputError
from pipeline.panopto.links import PanoptoFolderLink, panopto_session_id, parse_panopto_link
from pipeline.panopto.servers import (PanoptoServerRow, add_server, list_servers, normalise_base_url,
                                      remove_server, server_for_link, settings_server)

SID = "0f6b4a62-1d2c-4e57-9a3b-aa12bb34cc56"
BASE = "https://uni.hosted.panopto.com/Panopto"


@pytest.mark.parametrize("url, kind", [
    (f"{BASE}/Pages/Viewer.aspx?id={SID}", "viewer"),
    (f"{BASE}/Pages/Viewer.aspx?id={SID.upper()}&start=95.5&query=enzymes", "viewer"),
    (f"{BASE}/Pages/Embed.aspx?id={SID}&autoplay=false&offerviewer=true", "embed"),
    (f"{BASE}/Pages/Embed.aspx?tid={SID}", "embed"),
    (f"{BASE}/Pages/Viewer.aspx?pid=11111111-2222-3333-4444-555555555555&id={SID}", "viewer"),
    (f"{BASE}/Podcast/Download/{SID}.mp4?mediaTargetType=videoPodcast", "podcast"),
    (f"{BASE}/Podcast/Social/{SID}.mp4", "podcast"),
    (f"https://lectures.uni.ac.uk/Panopto/Pages/Viewer.aspx?ID={SID}", "viewer"),
    (f"https://eu.cloud.panopto.eu/Panopto/Pages/Viewer.aspx?id=%20{SID}", "viewer"),
])
def test_every_session_shape_names_its_session(url, kind):
    link = parse_panopto_link(url)
    assert link.session_id == SID and link.kind == kind
    assert link.base_url.startswith("https://") and "/Panopto" not in link.base_url
    assert panopto_session_id(url) == (True, SID)


def test_start_offset_and_host():
    link = parse_panopto_link(f"{BASE}/Pages/Viewer.aspx?id={SID}&start=95.5")
    assert link.start == 95.5 and link.host == "uni.hosted.panopto.com"
    assert parse_panopto_link(f"{BASE}/Pages/Viewer.aspx?id={SID}&start=abc").start is None
    assert parse_panopto_link(f"{BASE}/Pages/Embed.aspx?tid={SID}").by == "tid"
    assert parse_panopto_link(f"{BASE}/Podcast/Download/{SID}.mp4").by == "path"


@pytest.mark.parametrize("url, expected", [
    (f'{BASE}/Pages/Sessions/List.aspx#folderID="{SID}"', "is a Panopto folder, not a session"),
    (f"{BASE}/Pages/Sessions/List.aspx?folderID={SID}", "folder, not a session: open the folder, pick one"),
    (f"{BASE}/Pages/Viewer.aspx?pid={SID}", "playlist, not a session"),
])
def test_folders_and_playlists_say_pick_one_recording(url, expected):
    with pytest.raises(PanoptoFolderLink) as e:
        parse_panopto_link(url)
    assert expected in e.value.message
    assert panopto_session_id(url) == (True, None)


def test_bad_or_missing_ids_say_what_to_copy():
    with pytest.raises(InputError, match="not a Panopto id"):
        parse_panopto_link(f"{BASE}/Pages/Viewer.aspx?id=12345")
    with pytest.raises(InputError, match="without a session id"):
        parse_panopto_link(f"{BASE}/Pages/Viewer.aspx")


def test_other_links_are_not_panopto():
    assert parse_panopto_link("https://x.edu/a.mp4") is None
    assert panopto_session_id("https://x.edu/a.mp4") == (False, None)
    assert parse_panopto_link("ftp://uni.hosted.panopto.com/Panopto/x") is None


def test_slash_command_now_takes_a_panopto_session_and_refuses_a_folder():
    assert parse_command(f"{BASE}/Pages/Viewer.aspx?id={SID}&start=3").url == f"{BASE}/Pages/Viewer.aspx?id={SID}&start=3"
    with pytest.raises(InputError) as e:
        parse_command(f'{BASE}/Pages/Sessions/List.aspx#folderID="{SID}"')
    assert "folder, not a session" in e.value.message and "Example" in e.value.message
    assert parse_command("https://media.uni.edu/panopto/archive/week3.mp4").url.endswith("week3.mp4")
    with pytest.raises(InputError, match="without a session id"):
        parse_command("https://media.uni.edu/panopto/archive/week3")


# --- servers -----------------------------------------------------------------------------------------------


def test_base_url_from_a_host_or_url():
    assert normalise_base_url("Uni.Hosted.Panopto.com", allow_http=False) == "https://uni.hosted.panopto.com"
    assert normalise_base_url("https://uni.hosted.panopto.com/Panopto/", allow_http=False) == \
        "https://uni.hosted.panopto.com"
    assert normalise_base_url("http://127.0.0.1:8123", allow_http=True) == "http://127.0.0.1:8123"
    for bad, why in (("http://127.0.0.1:8123", "uses http"), ("https://x.edu/other/path", "has a path"),
                     ("https://u:p@x.edu", "plain server address"), ("", "empty"), ("ftp://x.edu", "https")):
        with pytest.raises(ConfigError) as e:
            normalise_base_url(bad, allow_http=False)
        assert why in e.value.message and e.value.variable == "PANOPTO_HOST"


def test_settings_server_serves_every_tenant(make_settings):
    s = make_settings(PANOPTO_HOST="uni.hosted.panopto.com", PANOPTO_CLIENT_ID="cid", PANOPTO_CLIENT_SECRET="csec",
                      PANOPTO_USERNAME="svc", PANOPTO_PASSWORD="pw", PANOPTO_ALLOW_SERVICE_USER=True)
    server = settings_server(s)
    assert server.base_url == "https://uni.hosted.panopto.com" and server.client_secret == "csec"
    assert server.service_user_allowed and server.password == "pw"
    assert "csec" not in repr(server) and "pw" not in repr(server).replace("PanoptoServer", "")
    assert settings_server(make_settings()) is None
    with pytest.raises(ConfigError, match="PANOPTO_CLIENT_ID"):
        settings_server(make_settings(PANOPTO_HOST="uni.hosted.panopto.com"))


@pytest.fixture
def sessions(make_settings):
    from handouts.schema import upgrade

    settings = make_settings()
    engine = db.make_engine(settings.db_url)
    upgrade(engine)
    yield settings, db.make_sessionmaker(engine)
    engine.dispose()


def test_stored_servers_are_encrypted_and_chosen_by_tenant_and_host(sessions):
    settings, maker = sessions
    with db.transaction(maker) as s:
        add_server(s, settings, tenant="slack:T1", host="uni.hosted.panopto.com", client_id="cid",
                   client_secret="client-secret-1", username="svc", password="service-pw-1")
        add_server(s, settings, tenant="slack:T1", host="uni.hosted.panopto.com", client_id="cid2",
                   client_secret="client-secret-2")   # replaces the first: one row per tenant and host
    with maker() as s:
        rows = s.query(PanoptoServerRow).all()
        assert len(rows) == 1 and rows[0].client_id == "cid2"
        assert rows[0].client_secret.startswith("enc1:") and "client-secret" not in rows[0].client_secret
        link = parse_panopto_link(f"{BASE}/Pages/Viewer.aspx?id={SID}")
        server = server_for_link(s, settings, "slack:T1", link)
        assert server.client_secret == "client-secret-2" and server.username is None
        with pytest.raises(InputError) as e:
            server_for_link(s, settings, "slack:T2", link)
        assert "no Panopto server is set up for this workspace" in e.value.message
        other = parse_panopto_link(f"https://evil.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id={SID}")
        with pytest.raises(InputError) as e:
            server_for_link(s, settings, "slack:T1", other)
        assert "evil.hosted.panopto.com is not this workspace's Panopto server (uni.hosted.panopto.com)" in \
            e.value.message
    with db.transaction(maker) as s:
        assert remove_server(s, tenant="slack:T1", host="https://uni.hosted.panopto.com", settings=settings)
        assert not remove_server(s, tenant="slack:T1", host="uni.hosted.panopto.com", settings=settings)
        assert list_servers(s, settings) == []


def test_bad_server_input_is_refused_before_storing(sessions):
    settings, maker = sessions
    cases = [(dict(host="uni.hosted.panopto.com", client_id="", client_secret="s"), "--client-id"),
             (dict(host="uni.hosted.panopto.com", client_id="c", client_secret=""), "--client-secret"),
             (dict(host="uni.hosted.panopto.com", client_id="c", client_secret="s", username="u"), "go together"),
             (dict(host="uni.hosted.panopto.com", client_id="c", client_secret="s", service_user_allowed=True),
              "--allow-service-user needs"),
             (dict(host="https://x.edu/a/b", client_id="c", client_secret="s"), "has a path")]
    for kwargs, expected in cases:
        with db.transaction(maker) as s, pytest.raises(InputError) as e:
            add_server(s, settings, tenant="local", **kwargs)
        assert expected in e.value.message
    with maker() as s:
        assert s.query(PanoptoServerRow).count() == 0


def test_cli_add_list_remove_never_prints_secrets(tmp_path, capsys, monkeypatch):
    from handouts.cli import main

    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PANOPTO_HOST", "main.hosted.panopto.com")
    monkeypatch.setenv("PANOPTO_CLIENT_ID", "main-client")
    monkeypatch.setenv("PANOPTO_CLIENT_SECRET", "settings-secret-xyz")
    assert main(["panopto", "add-server", "--tenant", "slack:T1", "--host", "uni.hosted.panopto.com",
                 "--client-id", "cid", "--client-secret", "db-secret-abc", "--username", "svc",
                 "--password", "svc-password-def", "--allow-service-user"]) == 0
    assert main(["panopto", "list"]) == 0
    assert main(["panopto", "list", "--json"]) == 0
    out = capsys.readouterr().out
    listing = json.loads(out[out.index("{"):])
    assert [(r["tenant"], r["base_url"], r["from"]) for r in listing["servers"]] == [
        ("slack:T1", "https://uni.hosted.panopto.com", "database"), ("*", "https://main.hosted.panopto.com", "settings")]
    assert "service user svc (allowed)" in out
    for secret in ("db-secret-abc", "svc-password-def", "settings-secret-xyz"):
        assert secret not in out
        assert secret.encode() not in (tmp_path / "data" / "handouts.db").read_bytes()
    assert main(["panopto", "remove", "--tenant", "slack:T1", "--host", "uni.hosted.panopto.com"]) == 0
    assert main(["panopto", "remove", "--tenant", "slack:T1", "--host", "uni.hosted.panopto.com"]) == 1
    assert "has no Panopto server" in capsys.readouterr().err
    assert main(["panopto", "add-server", "--tenant", "local", "--host", "http://x.edu", "--client-id", "c",
                 "--client-secret", "s"]) == 1
    assert "uses http" in capsys.readouterr().err
