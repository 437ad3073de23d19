"""`/handout <panopto link>` from a linked Slack user runs the real stages against the fake Panopto and Slack."""

from __future__ import annotations

import sqlite3

from handouts.wiring import open_runtime
from pipeline.models import JobStatus
from pipeline.summary import job_summary
from tests.bot.conftest import SECRET, TOKEN, SlackWorld
from tests.fakes.slack_api import slack_api  # noqa: F401 - fixture
from tests.panopto.conftest import GOOD_TOKEN, StaticCredentials

CUES = {1: [(0.0, 2.0, "Enzymes lower the activation energy"), (2.0, 4.0, "Substrates bind")]}


def test_a_linked_users_panopto_link_simply_works(make_settings, slack_api, panopto, tmp_path):  # noqa: F811
    slack_api.add_workspace("T1", TOKEN)
    slack_api.add_channel("C1")
    creds = StaticCredentials()
    settings = make_settings(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack_api.api_url,
                             HANDOUTS_SLACK_UPDATE_INTERVAL=0, HANDOUTS_OCR_ENGINE="off",
                             PANOPTO_HOST=panopto.base_url, PANOPTO_CLIENT_ID="cid",
                             PANOPTO_CLIENT_SECRET="client-SECRET-slack")
    rt = open_runtime(settings, immediate=True, panopto_credentials=creds)
    try:
        w = SlackWorld(rt, slack_api)
        sid = panopto.add_session(tmp_path / "fake-media", seconds=4, slides=2, captions=CUES)
        r = w.command(f"{panopto.viewer_url(sid)} --no-ai")
        assert r.status_code == 200 and "Starting" in r.get_json()["text"], r.get_json()
        assert slack_api.wait_for(lambda: slack_api.called("files.completeUploadExternal"), timeout=60)
        assert slack_api.wait_for(lambda: len(slack_api.called("chat.postMessage")) >= 3)  # progress, summary, DM
        [job] = w.jobs()
        assert job.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS), (job.status, job.error)
        assert creds.calls and creds.calls[0][:2] == ("slack:T1", "U1"), "fetched as the person who asked"
        with rt.sessions() as s:
            summary = job_summary(s, job.id)
        assert summary.title == "Week 3: Enzymes (2026-03-04)"
        assert summary.provenance == "Slides and captions from Panopto"
        names = {f["name"] for f in slack_api.channel_files("C1")}
        assert any(n.startswith("week-3-enzymes-2026-03-04") for n in names), names
        sent = str([c.params for c in slack_api.calls])
        assert "Slides and captions from Panopto" in sent, "the summary says where slides and captions came from"
        dump = "\n".join(sqlite3.connect(tmp_path / "data" / "handouts.db").iterdump())
        for secret in (GOOD_TOKEN, "client-SECRET-slack", *panopto.cookies):
            assert secret not in sent and secret not in dump
    finally:
        rt.close()
