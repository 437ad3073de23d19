"""OAuth mode: install into two workspaces, tokens encrypted at rest, the right token per call, uninstall."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot import tables
from handouts.wiring import open_runtime

from .conftest import SECRET, SlackWorld

URL = "https://media.example.edu/lectures/week3.mp4"


def _oauth_answer(team: str, token: str) -> dict:
    return {"ok": True, "app_id": "A1", "authed_user": {"id": "U1"}, "scope": "commands,chat:write,files:write",
            "token_type": "bot", "access_token": token, "bot_user_id": "UBOT", "team": {"id": team, "name": team},
            "enterprise": None, "is_enterprise_install": False}


@pytest.fixture
def oauth_world(make_settings, slack_api):
    rt = open_runtime(make_settings(SLACK_SIGNING_SECRET=SECRET, SLACK_CLIENT_ID="111.222",
                                      SLACK_CLIENT_SECRET="shh", SLACK_API_URL=slack_api.api_url,
                                      HANDOUTS_SLACK_TOKEN_KEY="a long random passphrase for tests",
                                      HANDOUTS_SLACK_UPDATE_INTERVAL=0), immediate=True)
    from .conftest import quick_stages

    rt.stages = quick_stages()
    world = SlackWorld(rt, slack_api)
    yield world
    rt.close()


def _install(w: SlackWorld, team: str, token: str) -> None:
    w.fake.add_workspace(team, token)
    w.fake.add_channel("C1")
    w.fake.oauth_codes[f"code-{team}"] = _oauth_answer(team, token)
    page = w.http.get("/slack/install")
    assert page.status_code == 200
    state = re.search(r"state=([\w-]+)", page.get_data(as_text=True)).group(1)
    done = w.http.get(f"/slack/oauth_redirect?code=code-{team}&state={state}")
    assert done.status_code == 200, done.get_data(as_text=True)


def test_install_stores_encrypted_tokens_and_each_workspace_uses_its_own(oauth_world):
    w = oauth_world
    _install(w, "T2", "xoxb-T2-secret")
    _install(w, "T3", "xoxb-T3-secret")
    with w.rt.engine.connect() as c:
        stored = [r.bot_token for r in c.execute(select(tables.bots.c.bot_token))]
        stored += [r.bot_token for r in c.execute(select(tables.installations.c.bot_token))]
    assert len(stored) == 4 and all(t.startswith("enc1:") and "xoxb" not in t for t in stored)
    w.command(URL, team="T3", user="U7")
    assert w.fake.wait_for(lambda: w.fake.called("files.completeUploadExternal"))
    used = {c.token for c in w.fake.calls if c.method not in ("upload", "oauth.v2.access", "auth.test")}
    assert used == {"xoxb-T3-secret"}, "the worker and the listener both used T3's token"
    assert w.jobs()[0].tenant == "slack:T3"


def test_state_from_elsewhere_is_refused(oauth_world):
    w = oauth_world
    w.fake.oauth_codes["code-T2"] = _oauth_answer("T2", "xoxb-T2-secret")
    r = w.http.get("/slack/oauth_redirect?code=code-T2&state=forged")
    assert r.status_code == 400
    with w.rt.engine.connect() as c:
        assert c.execute(select(tables.bots)).first() is None


def test_uninstall_removes_tokens_and_later_commands_are_told_to_reinstall(oauth_world):
    w = oauth_world
    _install(w, "T2", "xoxb-T2-secret")
    assert w.event({"type": "app_uninstalled"}, team="T2").status_code == 200

    def gone():
        with w.rt.engine.connect() as c:
            return (c.execute(select(tables.bots)).first() is None
                    and c.execute(select(tables.installations)).first() is None)
    assert w.fake.wait_for(gone)
    r = w.command(URL, team="T2")
    assert r.status_code == 200
    assert w.fake.wait_for(lambda: w.ephemeral_texts())  # Bolt answers through the command's response_url
    assert "not installed in this workspace" in w.ephemeral_texts()[0] and "/slack/install" in w.ephemeral_texts()[0]
    assert w.jobs() == []


def test_worker_skips_jobs_of_a_workspace_that_left(oauth_world):
    w = oauth_world
    _install(w, "T2", "xoxb-T2-secret")
    w.command(URL, team="T2")
    assert w.fake.wait_for(lambda: w.fake.called("files.completeUploadExternal"))
    job_id = w.jobs()[0].id
    w.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, team="T2")

    def gone():
        with w.rt.engine.connect() as c:
            return c.execute(select(tables.bots)).first() is None
    assert w.fake.wait_for(gone)
    # the job's own last messages may still be on their way: count once the calls have settled
    import time
    before, settled = -1, time.monotonic()
    while time.monotonic() - settled < 0.5:
        if len(w.fake.calls) != before:
            before, settled = len(w.fake.calls), time.monotonic()
        time.sleep(0.05)
    w.notifier.job_event(w.rt, job_id, "finished")
    assert len(w.fake.calls) == before, "no token, no call: the workspace is not asked again"
