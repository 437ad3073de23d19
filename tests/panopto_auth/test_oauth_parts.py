"""Small parts of the OAuth client: server addresses, the authorize URL, the public address check."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from pipeline.errors import ConfigError
from pipeline.panopto.oauth import PanoptoOAuth, TokenSet, panopto_root, server_host


@pytest.mark.parametrize("given, root", [
    ("uni.hosted.panopto.com", "https://uni.hosted.panopto.com"),
    ("https://uni.hosted.panopto.com/Panopto/", "https://uni.hosted.panopto.com"),
    ("https://video.uni.edu/panopto", "https://video.uni.edu"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_server_roots_and_hosts(given, root):
    assert panopto_root(given) == root
    assert server_host(SimpleNamespace(base_url=given)) == urlsplit(root).netloc.lower()


def test_the_authorize_url_asks_for_offline_access_and_carries_no_secret(make_settings):
    server = SimpleNamespace(base_url="https://uni.hosted.panopto.com", client_id="cid", client_secret="shh")
    with PanoptoOAuth(make_settings(), server) as client:
        url = client.authorize_url(redirect_uri="https://h.example.edu/panopto/callback", state="opaque-1")
    parts = urlsplit(url)
    assert parts.path == "/Panopto/oauth2/connect/authorize"
    q = parse_qs(parts.query)
    assert q["scope"] == ["openid api offline_access"] and q["response_type"] == ["code"]
    assert q["state"] == ["opaque-1"] and q["client_id"] == ["cid"] and "shh" not in url


def test_a_token_set_never_shows_its_tokens():
    from datetime import datetime, timezone

    shown = repr(TokenSet("pat-secret", datetime(2026, 1, 1, tzinfo=timezone.utc), "prt-secret"))
    assert "secret" not in shown and "refresh=yes" in shown


@pytest.mark.parametrize("value", ["handouts.example.edu", "ftp://x.edu", "https://x.edu/?a=1"])
def test_a_public_address_that_is_not_a_web_address_is_named(oauth_world, value):
    w = oauth_world(settings={"HANDOUTS_PUBLIC_URL": value})
    with pytest.raises(ConfigError) as e:
        w.accounts.redirect_uri()
    assert "HANDOUTS_PUBLIC_URL" in e.value.message and "not a web address" in e.value.message


def test_a_job_that_failed_for_a_lapsed_panopto_link_says_how_to_relink():
    from bot.blocks import dm_message, progress_message
    from pipeline.addresses import SlackAddress, dump_address
    from pipeline.models import Job, JobStatus
    from pipeline.panopto.contract import not_linked

    error = not_linked("uni.hosted.panopto.com", "slack:T1", "U1", "connect your Panopto account again")
    job = Job(id="j1", source="https://uni.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id=x", tenant="slack:T1",
              owner="U1", origin="slack", status=JobStatus.FAILED, progress=10.0, message="failed",
              error=error.as_dict(), warnings=[],
              reply_to=dump_address(SlackAddress(team_id="T1", channel_id="C1", user_id="U1")))
    _, blocks = progress_message(job, ["fetch"])
    assert "/handout panopto connect" in blocks[0]["text"]["text"]
    assert any(e["action_id"] == "handout_retry" for b in blocks if b["type"] == "actions" for e in b["elements"])
    _, dm = dm_message(job, {}, "C1")
    assert "/handout panopto connect" in str(dm)
    job.error = {"code": "source_unavailable", "message": "down"}
    assert "/handout panopto connect" not in str(progress_message(job, ["fetch"])[1])
