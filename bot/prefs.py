"""A user's choices kept per workspace: for now the default setting profile, chosen on the App Home tab."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from pipeline.ai.profiles import BUNDLED
from pipeline.models import SettingProfile, utcnow

from .tables import user_prefs


def default_profile(session: Session, team_id: str, user_id: str) -> str | None:
    """The user's chosen profile, or None to use the deployment's default."""
    return session.scalar(select(user_prefs.c.default_profile).where(user_prefs.c.team_id == team_id,
                                                                      user_prefs.c.user_id == user_id))


def set_default_profile(session: Session, team_id: str, user_id: str, profile: str) -> None:
    """Remember the user's default profile (replacing any earlier choice)."""
    session.execute(delete(user_prefs).where(user_prefs.c.team_id == team_id, user_prefs.c.user_id == user_id))
    session.execute(insert(user_prefs).values(team_id=team_id, user_id=user_id, default_profile=profile,
                                              updated_at=utcnow()))


def profile_names(session: Session, tenant: str) -> list[str]:
    """Profiles a user of this tenant may pick: the bundled ones and the tenant's own."""
    own = session.scalars(select(SettingProfile.name).where(SettingProfile.tenant == tenant))
    return sorted(set(BUNDLED) | set(own))
