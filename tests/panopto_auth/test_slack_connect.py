"""The Slack connect round trip through the fake Slack API and the fake Panopto OAuth server."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.notifier import SlackNotifier
from tests.bot.conftest import SECRET, TOKEN, SlackWorld
from tests.fakes.slack_api import slack_api  # noqa: F401 - a fixture

SID = "0f6b4a62-1d2c-4e57-9a3b-aa12bb34cc56"


class PanoptoSlackWorld(SlackWorld):
    """SlackWorld whose app has the Panopto account service of an OAuthWorld."""

    def __init__(self, w, fake) -> None:  # noqa: D107 - SlackWorld's fields, another app
        self.w, self.rt, self.fake = w, w.rt, fake
        self.app = w.app()
        self.http = self.app.test_client()
        self.notifier = w.rt.notifier(SlackNotifier)

    def lecture(self) -> str:
        return f"{self.w.http.url('/Panopto/Pages/Viewer.aspx')}?id={SID}&start=12"

    def connect_buttons(self) -> list[str]:
        return [e["url"] for r in self.fake.responses for b in r.get("blocks", []) if b["type"] == "actions"
                for e in b["elements"] if e.get("action_id") == "panopto_connect"]

    def home_publish(self, user="U1") -> dict:
        before = len(self.fake.called("views.publish"))
        assert self.event({"type": "app_home_opened", "user": user, "tab": "home"}).status_code == 200
        assert self.fake.wait_for(lambda: len(self.fake.called("views.publish")) > before)
        return self.fake.called("views.publish")[-1].params

    def press_home(self, action_id: str, value: str, user="U1"):
        payload = {"type": "block_actions", "user": {"id": user, "team_id": "T1"}, "team": {"id": "T1"},
                   "api_app_id": "A1", "trigger_id": "trig-home", "container": {"type": "view", "view_id": "V1"},
                   "view": {"id": "V1", "type": "home"},
                   "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                                "action_ts": "1.2"}]}
        return self.signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@pytest.fixture
def pworld(oauth_world, slack_api):  # noqa: F811 - the fixture above
    def build(**server_fields) -> PanoptoSlackWorld:
        slack_api.add_workspace("T1", TOKEN)
        slack_api.add_channel("C1")
        w = oauth_world(runtime=True, settings={"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN,
                                                "SLACK_API_URL": slack_api.api_url,
                                                "HANDOUTS_SLACK_UPDATE_INTERVAL": 0}, **server_fields)
        return PanoptoSlackWorld(w, slack_api)

    return build


def _view_text(view) -> str:
    return json.dumps(view)


def test_an_unlinked_person_connects_and_the_request_starts_by_itself(pworld):
    sw = pworld()
    sw.w.fake.signs_in = "alice"
    assert "Starting" in sw.command(sw.lecture()).get_json()["text"]
    assert sw.fake.wait_for(lambda: sw.connect_buttons())
    assert sw.jobs() == [] and not sw.fake.called("chat.postMessage")  # nothing runs before the link
    link = sw.connect_buttons()[0]
    assert link.startswith("http://handouts.test/panopto/connect/") and "?" not in link
    ask = sw.fake.responses[-1]
    assert ask["response_type"] == "ephemeral" and "your own* Panopto account" in ask["text"]

    page = sw.w.browse(sw.http, link)
    assert page.status_code == 200 and "has started" in page.text, page.text
    (job,) = sw.jobs()
    assert job.owner == "U1" and job.origin == "slack" and job.tenant == "slack:T1"
    assert job.address.channel_id == "C1" and job.scope == "channel:C1"
    # told in Slack: the job's message in the channel, its files in the thread, a direct message at the end
    posts = sw.fake.called("chat.postMessage")
    assert posts and posts[0].params["channel"] == "C1"
    assert sw.fake.wait_for(lambda: sw.fake.called("conversations.open"))
    assert sw.state(job.id).progress_ts
    token = sw.w.tokens.bearer_for(tenant="slack:T1", user="U1", server=sw.w.server)
    assert sw.w.fake.user_of(token) == "alice"

    # linked now: the next Panopto link simply starts
    sw.command(sw.lecture().replace("start=12", "start=99"))
    assert sw.fake.wait_for(lambda: len(sw.jobs()) == 2)
    assert len(sw.connect_buttons()) == 1

    sw.command("panopto status")
    assert sw.fake.wait_for(lambda: any("is linked" in t for t in sw.ephemeral_texts()))
    sw.command("panopto disconnect")
    assert sw.fake.wait_for(lambda: any("Disconnected" in t for t in sw.ephemeral_texts()))
    assert any("revoked Handouts' access" in t for t in sw.ephemeral_texts())
    assert len(sw.w.fake.revocations) == 1 and not sw.w.fake.is_valid(token)
    sw.command(sw.lecture())
    assert sw.fake.wait_for(lambda: len(sw.connect_buttons()) == 2)  # unlinked: asked to connect again


def test_a_link_to_another_panopto_host_is_refused_with_the_reason(pworld):
    sw = pworld()
    sw.command(f"https://other.hosted.panopto.com/Panopto/Pages/Viewer.aspx?id={SID}")
    assert sw.fake.wait_for(lambda: sw.ephemeral_texts())
    assert "is not the Panopto server set up for you here" in sw.ephemeral_texts()[0]
    assert sw.jobs() == [] and sw.connect_buttons() == []


def test_a_service_user_allowed_by_the_admin_needs_no_connect(pworld):
    from .conftest import SERVICE_PASSWORD

    sw = pworld(username="svc", password=SERVICE_PASSWORD, service_user_allowed=True)
    sw.command(sw.lecture())
    assert sw.fake.wait_for(lambda: len(sw.jobs()) == 1)
    assert sw.connect_buttons() == []


def test_app_home_shows_the_link_status_with_connect_and_disconnect(pworld):
    sw = pworld()
    view = sw.home_publish()
    text = _view_text(view)
    assert "Not linked on 127.0.0.1" in text and "http://handouts.test/panopto/connect/" in text
    sw.w.link_alice()
    view = sw.home_publish()
    assert "Linked on 127.0.0.1" in _view_text(view) and "panopto_disconnect" in _view_text(view)
    before = len(sw.fake.called("views.publish"))
    host = f"127.0.0.1:{sw.w.http.port}"
    assert sw.press_home("panopto_disconnect", host).status_code == 200
    assert sw.fake.wait_for(lambda: len(sw.fake.called("views.publish")) > before)
    assert "Not linked on 127.0.0.1" in _view_text(sw.fake.called("views.publish")[-1].params)
    assert len(sw.w.fake.revocations) == 1


def test_panopto_subcommands_are_checked(pworld):
    sw = pworld()
    answer = sw.command("panopto unlink").get_json()
    assert "not a Panopto command" in answer["text"] and "disconnect" in answer["text"]


def test_without_a_panopto_server_for_the_workspace_a_session_link_says_who_can_fix_it(pworld):
    sw = pworld()
    plain = SlackWorld(sw.rt, sw.fake)  # the app factory's own wiring: no server configured for any tenant
    plain.command(sw.lecture())
    assert sw.fake.wait_for(lambda: sw.ephemeral_texts())
    assert "no Panopto server is set up for you here yet" in sw.ephemeral_texts()[0]
    assert "add-server" in sw.ephemeral_texts()[0] and sw.jobs() == []


def test_after_a_slack_round_trip_no_credential_is_anywhere_in_the_data_folder(pworld, caplog):
    import logging

    from .conftest import CLIENT_SECRET

    caplog.set_level(logging.INFO)
    sw = pworld()
    sw.w.fake.signs_in = "alice"
    sw.command(sw.lecture())
    assert sw.fake.wait_for(lambda: sw.connect_buttons())
    state = sw.connect_buttons()[0].rsplit("/", 1)[1]
    assert sw.w.browse(sw.http, sw.connect_buttons()[0]).status_code == 200
    sw.w.clock.advance(3600)
    sw.w.tokens.bearer_for(tenant="slack:T1", user="U1", server=sw.w.server)  # a rotation
    secrets = [CLIENT_SECRET, state, *sw.w.fake.refresh_tokens, *sw.w.fake.access_tokens]
    data = sw.w.settings.data_dir
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name.startswith("handouts.db") for p in files)
    blob = b"".join(p.read_bytes() for p in files)
    for secret in secrets:
        assert secret.encode() not in blob, f"{secret[:6]}… is stored in plain text under {data}"
        # the state travels in the browser's own addresses (spent now); the tokens and the secret nowhere
        assert secret == state or secret not in caplog.text
    for call in sw.fake.calls:  # nor sent to Slack (the connect link carries the state, shown to its owner only)
        assert not any(t in json.dumps(call.params) for t in [CLIENT_SECRET, *sw.w.fake.refresh_tokens,
                                                               *sw.w.fake.access_tokens])
    for job in sw.jobs():
        assert not any(t in json.dumps([job.source, job.options, job.error]) for t in secrets)


def test_offering_connect_counts_against_the_rate_limit_once(pworld):
    sw = pworld()
    sw.w.fake.signs_in = "alice"
    sw.rt.settings.slack_user_rate = 1
    sw.command(sw.lecture())
    assert sw.fake.wait_for(lambda: sw.connect_buttons())
    sw.command(sw.lecture().replace("start=12", "start=13"))
    assert sw.fake.wait_for(lambda: any("HANDOUTS_SLACK_USER_RATE" in t for t in sw.ephemeral_texts()))
    assert len(sw.connect_buttons()) == 1
    assert sw.w.browse(sw.http, sw.connect_buttons()[0]).status_code == 200
    assert len(sw.jobs()) == 1  # the pending request started without being counted twice
