"""The tool's Flask app over a Runtime, and a test platform on loopback that signs real id_tokens."""

from __future__ import annotations

import re

import pytest

from handouts.app import create_app
from handouts.wiring import open_runtime
from pipeline.models import Job
from tests.bot.conftest import quick_stages
from tests.fakes.http_server import http_server  # noqa: F401 - a fixture
from tests.lti.platform import Platform


class LtiWorld:
    """The app, its test client, the runtime and one registered platform."""

    def __init__(self, rt, platform: Platform, **register):
        self.rt = rt
        self.platform = platform
        self.app = create_app(runtime=rt)
        self.client = self.app.test_client()
        self.registration = platform.register(rt.sessions, **register)

    def launch(self, **kw):
        return self.platform.launch(self.client, **kw)

    def ticket_url(self, resp) -> str:
        """The ticket page a launch redirected to (/lti/t/<ticket>/)."""
        return re.search(r"/lti/t/[^/]+/", resp.request.path).group(0)

    def csrf(self, page_html: str) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)

    def jobs(self) -> list[Job]:
        with self.rt.sessions() as s:
            jobs = list(s.query(Job).order_by(Job.created_at))
            for j in jobs:
                _ = j.artifacts
            return jobs


@pytest.fixture
def lti_world(make_settings, http_server):  # noqa: F811 - the fixture above
    """lti_world(stages=..., immediate=..., deployment_ids=..., **settings) → LtiWorld."""
    made = []

    def build(stages=None, immediate=False, deployment_ids=None, platform=None, **overrides):
        rt = open_runtime(make_settings(**overrides), immediate=immediate, stages=stages or quick_stages())
        made.append(rt)
        kw = {} if deployment_ids is None else {"deployment_ids": deployment_ids}
        return LtiWorld(rt, platform or Platform(http_server), **kw)

    yield build
    for rt in made:
        rt.close()
