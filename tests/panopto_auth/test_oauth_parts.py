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
