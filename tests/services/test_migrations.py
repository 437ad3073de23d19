"""Migration 0004 on a database made by 0003: Slack state moves from reply_to into deliveries, tenants renamed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from handouts.schema import upgrade
from pipeline import db
from pipeline.models import Job

OLD_REPLY = {"team_id": "T1", "enterprise_id": None, "channel_id": "C1", "user_id": "U1",
             "is_enterprise_install": False, "progress_channel": "C1", "progress_ts": "111.1", "summary_ts": "111.2",
             "files": {"a-handout-notes.pdf": {"id": "F1", "sha256": "ab", "permalink": "https://x/F1"}},
             "dms": {"U1:completed@2026-12-01T10:00:00": "222.1"}, "delivery_error": "Slack's upload failed"}


def _migrate_old_rows(url: str) -> None:
    engine = db.make_engine(url)
    upgrade(engine, "0003")
    with engine.begin() as c:
        for job_id, origin, tenant, reply in (("j1", "slack", "slack-T1", OLD_REPLY), ("j2", "cli", "local", {})):
            c.execute(text("INSERT INTO jobs (id, tenant, owner, origin, reply_to, source, options, status, progress, "
                           "message, warnings, cancel_requested, created_at, updated_at) VALUES (:id, :tenant, 'U1', "
                           ":origin, :reply, 'https://x/v.mp4', '{}', 'completed', 100, 'done', '[]', false, "
                           "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                      dict(id=job_id, tenant=tenant, origin=origin, reply=json.dumps(reply)))
        c.execute(text("INSERT INTO setting_profiles (tenant, name, data, updated_at) VALUES "
                       "('slack-T1', 'mine', '{}', CURRENT_TIMESTAMP)"))
    upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    from bot.notifier import SlackState

    with sessions() as s:
        slack, cli = s.get(Job, "j1"), s.get(Job, "j2")
        assert slack.tenant == "slack:T1" and slack.scope == "channel:C1"
        assert slack.address.channel_id == "C1" and slack.address.user_id == "U1"
        state = SlackState.load(s, slack)
        assert (state.progress_channel, state.progress_ts, state.summary_ts) == ("C1", "111.1", "111.2")
        assert state.files == OLD_REPLY["files"] and state.dms == {"U1:completed@2026-12-01T10:00:00"}
        assert state.delivery_error == "Slack's upload failed"
        assert cli.address.kind == "cli" and cli.tenant == "local"
        assert s.execute(text("SELECT tenant FROM setting_profiles")).scalar() == "slack:T1"
    engine.dispose()


def test_0004_on_sqlite(tmp_path):
    _migrate_old_rows(f"sqlite:///{tmp_path / 'old.db'}")


def test_0004_on_postgres(postgres_url):
    _migrate_old_rows(postgres_url)


def test_a_job_address_is_validated_both_ways(tmp_path):
    from pydantic import ValidationError

    from pipeline.addresses import SlackAddress

    job = Job(source="x", reply_to={"kind": "slack", "channel_id": "C1", "user_id": "U1", "progress_ts": "1"})
    with pytest.raises(ValidationError):
        _ = job.address  # delivery state no longer belongs in an address
    job.address = SlackAddress(channel_id="C2", user_id="U2")
    assert job.reply_to == {"kind": "slack", "channel_id": "C2", "user_id": "U2", "is_enterprise_install": False}
