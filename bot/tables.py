"""The Slack tables, on the project's metadata so Alembic (migration 0003) and the stores agree.

The installation and bot tables keep slack_sdk's column layout (its SQLAlchemy store reads them as they are),
with the token columns widened to Text: encrypted tokens are longer than the 200 characters slack_sdk allows.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from pipeline.models import Base, utcnow

metadata = Base.metadata
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def _widen_tokens(table: Table) -> Table:
    for name in TOKEN_COLUMNS:
        if name in table.c:
            table.c[name].type = Text()
    return table


def _table(name: str, build) -> Table:
    # Importing this module twice (tests reload apps) must not define a table twice on the shared metadata.
    return metadata.tables[name] if name in metadata.tables else _widen_tokens(build(metadata, name))


installations: Table = _table("slack_installations", SQLAlchemyInstallationStore.build_installations_table)
bots: Table = _table("slack_bots", SQLAlchemyInstallationStore.build_bots_table)
oauth_states: Table = _table("slack_oauth_states", SQLAlchemyOAuthStateStore.build_oauth_states_table)

rate_events: Table = _table("slack_rate_events", lambda md, name: Table(
    name, md,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Index("ix_slack_rate_events_team_created", "team_id", "created_at"),
    Index("ix_slack_rate_events_user_created", "team_id", "user_id", "created_at"),
))

user_prefs: Table = _table("slack_user_prefs", lambda md, name: Table(
    name, md,
    Column("team_id", String(32), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("default_profile", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=utcnow),
))
