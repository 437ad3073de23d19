"""Registrations, deployments and the tool's keys in the database; the `handouts lti` commands; the migration."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from handouts.cli import main
from lti.keys import jwks, rotate, signing_key
from lti.registry import DbToolConf, add_platform, find_platform, list_platforms, remove_platform
from lti.tables import LtiKey
from pipeline import db
from pipeline.crypto import cipher_for
from pipeline.errors import InputError

URLS = dict(auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",
            key_set_url="https://lms.example/jwks")


@pytest.fixture
def sessions(make_settings):
    from handouts.schema import upgrade

    settings = make_settings()
    engine = db.make_engine(settings.db_url)
    upgrade(engine)
    yield settings, db.make_sessionmaker(engine)
    engine.dispose()


def test_platforms_found_by_issuer_and_client_never_issuer_alone(sessions):
    _, S = sessions
    canvas = "https://canvas.instructure.com"
    a = add_platform(S, issuer=canvas, client_id="1001", deployment_ids=["d1"], **URLS)
    b = add_platform(S, issuer=canvas, client_id="2002", **URLS)
    assert find_platform(S, canvas, "1001").id == a.id
    assert find_platform(S, canvas, "2002").id == b.id
    assert find_platform(S, canvas, None) is None  # two registrations share the issuer: a client id is needed
    assert find_platform(S, canvas, "3003") is None
    settings = sessions[0]
    conf = DbToolConf(S, cipher_for(settings, "lti"))
    reg = conf.find_registration_by_params(canvas, "2002")
    assert reg.get_client_id() == "2002" and reg.get_tool_private_key().startswith("-----BEGIN PRIVATE KEY")
    assert conf.find_deployment_by_params(canvas, "d1", "1001") is not None
    assert conf.find_deployment_by_params(canvas, "d1", "2002") is None
    assert not conf.check_iss_has_one_client(canvas) and conf.check_iss_has_many_clients(canvas)


def test_bad_registrations_refused_with_the_field(sessions):
    _, S = sessions
    with pytest.raises(InputError, match="--auth-login-url 'ftp://x' is not an http"):
        add_platform(S, issuer="https://a.example", client_id="c", **{**URLS, "auth_login_url": "ftp://x"})
    with pytest.raises(InputError, match="plain http"):
        add_platform(S, issuer="http://a.example", client_id="c", **URLS)
    with pytest.raises(InputError, match="--client-id is empty"):
        add_platform(S, issuer="https://a.example", client_id=" ", **URLS)
    add_platform(S, issuer="https://a.example", client_id="c", **URLS)
    with pytest.raises(InputError, match="already registered"):
        add_platform(S, issuer="https://a.example", client_id="c", **URLS)
    p = add_platform(S, issuer="https://a.example", client_id="c", replace=True,
                     **{**URLS, "key_set_url": "https://a.example/new-jwks"})
    assert p.key_set_url == "https://a.example/new-jwks" and len(list_platforms(S)) == 1
    with pytest.raises(InputError, match="no platform registered"):
        remove_platform(S, platform_id=99)
    remove_platform(S, issuer="https://a.example", client_id="c")
    assert list_platforms(S) == []


def test_keys_made_once_encrypted_published_and_rotated(sessions):
    settings, S = sessions
    cipher = cipher_for(settings, "lti")
    first = signing_key(S, cipher)
    assert signing_key(S, cipher).kid == first.kid
    with S() as s:
        rows = list(s.scalars(select(LtiKey)))
    assert {r.status for r in rows} == {"current", "next"}
    assert all(r.private_pem.startswith("enc1:") and "PRIVATE KEY" not in r.private_pem for r in rows)
    published = [k["kid"] for k in jwks(S, cipher)["keys"]]
    assert published[0] == first.kid and len(published) == 2
    nxt = published[1]
    second = rotate(S, cipher)
    assert second.kid == nxt  # the key platforms already knew signs now
    after = [k["kid"] for k in jwks(S, cipher)["keys"]]
    assert after[0] == nxt and first.kid in after and len(after) == 3  # current, new next, previous
    rotate(S, cipher)
    assert first.kid not in [k["kid"] for k in jwks(S, cipher)["keys"]]


def test_cli_add_list_remove_config(make_settings, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "cli"))
    args = ["lti", "add-platform", "--issuer", "https://moodle.example", "--client-id", "abc",
            "--auth-login-url", "https://moodle.example/mod/lti/auth.php",
            "--auth-token-url", "https://moodle.example/mod/lti/token.php",
            "--key-set-url", "https://moodle.example/mod/lti/certs.php", "--deployment-id", "7"]
    assert main(args) == 0
    assert "platform 1: https://moodle.example client abc, deployments 7" in capsys.readouterr().out
    assert main(args) == 1
    assert "already registered" in capsys.readouterr().err
    assert main(["lti", "list"]) == 0
    out = capsys.readouterr().out
    assert "https://moodle.example  client abc" in out and "deployment 7: active" in out
    assert main(["lti", "rotate-key"]) == 0
    assert "now signing with key" in capsys.readouterr().out
    assert main(["lti", "remove", "1"]) == 0
    assert main(["lti", "remove", "1"]) == 1
    assert main(["lti", "remove"]) == 1
    assert "name the platform" in capsys.readouterr().err
    assert main(["lti", "config", "--base-url", "https://h.example.edu/", "--lms", "canvas"]) == 0
    out = capsys.readouterr().out
    start = out.index("{")
    end = out.rindex("}") + 1
    cfg = json.loads(out[start:end])
    assert cfg["oidc_initiation_url"] == "https://h.example.edu/lti/login"
    assert cfg["target_link_uri"] == "https://h.example.edu/lti/launch"
    assert cfg["public_jwk_url"] == "https://h.example.edu/lti/jwks"
    placements = {p["placement"]: p["message_type"] for p in cfg["extensions"][0]["settings"]["placements"]}
    assert placements == {"course_navigation": "LtiResourceLinkRequest", "link_selection": "LtiDeepLinkingRequest",
                          "editor_button": "LtiDeepLinkingRequest"}
    assert "Redirect URIs: https://h.example.edu/lti/launch" in out
    assert main(["lti", "config", "--base-url", "https://h.example.edu", "--lms", "moodle"]) == 0
    out = capsys.readouterr().out
    for line in ("Initiate login URL", "Redirection URI(s)", "Public keyset", "Supports Deep Linking"):
        assert line in out


def test_migration_matches_the_tables(make_settings):
    """The LTI tables as migrated are the tables the code declares (no autogenerate difference)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from handouts.schema import metadata, upgrade

    settings = make_settings()
    engine = db.make_engine(settings.db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata())
    lti_diff = [d for d in diff if "lti_" in repr(d)]
    assert lti_diff == []
    engine.dispose()
