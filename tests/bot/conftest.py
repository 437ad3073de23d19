"""Signed requests to the Flask app with the Slack adapter, against a fake Slack Web API on loopback."""

from __future__ import annotations

import json
import time
from itertools import count
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from pipeline.context import StageDef
from pipeline.models import Job
from bot.notifier import SlackNotifier, SlackState
from handouts.wiring import open_runtime
from handouts.app import create_app
from tests.fakes.slack_api import slack_api  # noqa: F401 - a fixture

SECRET = "test-signing-secret"
TOKEN = "xoxb-T1-test"
_triggers = count(1)


def quick_stages(delay: float = 0.0, fail_at: str | None = None, big: int = 0):
    """Three fast stages shaped like the real ones' outputs: a title, a duration, slides, files."""

    def fetch(ctx):
        time.sleep(delay)
        return {"media": {"duration": 754.0}, "title": ctx.options.get("title") or "Week 3: Cells"}

    def slides(ctx):
        if fail_at == "slides":
            from pipeline.errors import NotAVideo

            raise NotAVideo(ctx.source, "the link gave a web page (HTML), not a video")
        return {"showings": [{"i": i} for i in range(7)], "images": {}}

    def render(ctx):
        out = ctx.workdir / "out"
        out.mkdir(parents=True, exist_ok=True)
        for name, kind, size in (("week3-handout-notes.pdf", "handout_notes", big or 2000),
                                 ("week3-handout-16up.pdf", "handout_grid", 1500),
                                 ("week3-questions.pdf", "questions", 900), ("slides.json", "manifest", 300)):
            (out / name).write_bytes(b"%" * size)
            ctx.save_artifact(out / name, kind)
        ctx.warn("mindmap: the AI answer was cut short")
        return {"artifacts": [], "title": "Week 3: Cells"}

    return (StageDef("fetch", fetch, 1), StageDef("slides", slides, 1), StageDef("render", render, 1))


class SlackWorld:
    """A Runtime, the Flask app with the Slack adapter, the fake Slack, and request helpers."""

    def __init__(self, rt, fake):
        self.rt = rt
        self.fake = fake
        self.app = create_app(runtime=rt)  # create_app mounts the Slack adapter when Slack is configured
        self.http = self.app.test_client()
        self.notifier = rt.notifier(SlackNotifier)  # the one the composition root wired

    def signed(self, body: str, content_type: str, retry: int | None = None):
        ts = str(int(time.time()))
        headers = {"X-Slack-Request-Timestamp": ts, "Content-Type": content_type,
                   "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)}
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return self.http.post("/slack/events", data=body, headers=headers)

    def command(self, text: str, *, user="U1", team="T1", channel="C1", trigger: str | None = None, retry=None):
        body = urlencode({"token": "legacy", "team_id": team, "team_domain": "t", "channel_id": channel,
                          "channel_name": "lectures", "user_id": user, "user_name": user.lower(),
                          "command": "/handout", "text": text, "api_app_id": "A1",
                          "response_url": self.fake.response_url(f"{user}-{team}"),
                          "trigger_id": trigger or f"trig-{next(_triggers)}"})
        return self.signed(body, "application/x-www-form-urlencoded", retry)

    def press(self, action_id: str, job_id: str, *, user="U1", team="T1", channel="C1"):
        payload = {"type": "block_actions", "user": {"id": user, "team_id": team}, "team": {"id": team},
                   "api_app_id": "A1", "channel": {"id": channel}, "trigger_id": f"trig-{next(_triggers)}",
                   "container": {"type": "message", "channel_id": channel, "message_ts": "1.1"},
                   "response_url": self.fake.response_url(f"btn-{user}"),
                   "actions": [{"type": "button", "action_id": action_id, "block_id": f"job_{job_id}",
                                "value": job_id, "action_ts": "1.2"}]}
        return self.signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def event(self, event: dict, *, team="T1", retry=None):
        body = json.dumps({"type": "event_callback", "team_id": team, "api_app_id": "A1", "event": event,
                           "event_id": f"Ev{next(_triggers)}", "event_time": int(time.time()),
                           "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True,
                                               "enterprise_id": None, "is_enterprise_install": False}]})
        return self.signed(body, "application/json", retry)

    def jobs(self) -> list[Job]:
        with self.rt.sessions() as s:
            jobs = list(s.query(Job).order_by(Job.created_at))
            for j in jobs:
                _ = j.artifacts
            return jobs

    def job(self, job_id: str) -> Job:
        with self.rt.sessions() as s:
            j = s.get(Job, job_id)
            _ = j.artifacts
            return j

    def state(self, job_id: str) -> SlackState:
        """What the notifier recorded of this job in Slack (its deliveries)."""
        with self.rt.sessions() as s:
            return SlackState.load(s, s.get(Job, job_id))

    def ephemeral_texts(self) -> list[str]:
        return [r.get("text", "") for r in self.fake.responses]


@pytest.fixture
def world(make_settings, slack_api):  # noqa: F811 - the fixture above
    """Build a SlackWorld: world(stages=..., immediate=..., **settings overrides)."""
    made = []

    def build(stages=None, immediate=True, **overrides):
        slack_api.add_workspace("T1", TOKEN)
        slack_api.add_channel("C1")
        values = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack_api.api_url,
                  "HANDOUTS_SLACK_UPDATE_INTERVAL": 0}
        values.update(overrides)
        rt = open_runtime(make_settings(**values), immediate=immediate, stages=stages or quick_stages())
        made.append(rt)
        return SlackWorld(rt, slack_api)

    yield build
    for rt in made:
        rt.close()
