"""Per-user and per-workspace limits on handout requests, counted over the last hour in the database.

The request is recorded first and counted after, inside the caller's transaction: two requests racing for
the last slot both see each other and both are refused, never both let through.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from pipeline.errors import InputError
from pipeline.models import utcnow
from pipeline.settings import Settings

from .tables import rate_events

WINDOW = timedelta(hours=1)


def _wait_minutes(session: Session, where, limit: int, now) -> int:
    # The slot frees when the oldest request still counted leaves the window.
    times = list(session.scalars(select(rate_events.c.created_at).where(*where)
                                 .order_by(rate_events.c.created_at.desc()).limit(limit)))
    oldest = times[-1] if times else now
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(1, int((oldest + WINDOW - now).total_seconds() // 60) + 1)


def record_request(session: Session, settings: Settings, team_id: str, user_id: str) -> int:
    """Count a request against the limits; InputError saying when to try again when over. Returns the row id."""
    now = utcnow()
    since = now - WINDOW
    row_id = session.execute(insert(rate_events).values(team_id=team_id, user_id=user_id, created_at=now)
                             ).inserted_primary_key[0]
    c = rate_events.c
    mine = (c.team_id == team_id, c.user_id == user_id, c.created_at > since)
    if session.scalar(select(func.count()).where(*mine)) > settings.slack_user_rate:
        wait = _wait_minutes(session, mine, settings.slack_user_rate, now)
        raise InputError(f"You have asked for {settings.slack_user_rate} handouts in the last hour, the most one "
                         f"person may (HANDOUTS_SLACK_USER_RATE). Try again in about {wait} min.", retry_minutes=wait)
    team = (c.team_id == team_id, c.created_at > since)
    if session.scalar(select(func.count()).where(*team)) > settings.slack_team_rate:
        wait = _wait_minutes(session, team, settings.slack_team_rate, now)
        raise InputError(f"This workspace has asked for {settings.slack_team_rate} handouts in the last hour, the "
                         f"most allowed (HANDOUTS_SLACK_TEAM_RATE). Try again in about {wait} min.",
                         retry_minutes=wait)
    session.execute(delete(rate_events).where(c.team_id == team_id, c.created_at < now - 24 * WINDOW))
    return row_id


def forget_request(session: Session, row_id: int) -> None:
    """Give a slot back when the request could not be started after all."""
    session.execute(delete(rate_events).where(rate_events.c.id == row_id))
