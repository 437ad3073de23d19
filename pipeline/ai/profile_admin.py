"""Managing tenants' setting profiles: list them, create or change one, remove one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from ..models import SettingProfile
from .profiles import BUNDLED, Profile, apply_data, get_profile
from .schemas import TASKS


def list_profiles(session: Session, tenant: str) -> list[tuple[str, str, Profile]]:
    """(name, where it comes from, resolved profile) for the bundled profiles and the tenant's own."""
    rows = {r.name: r for r in session.scalars(select(SettingProfile).where(SettingProfile.tenant == tenant))}
    out = []
    for name in sorted(set(BUNDLED) | set(rows)):
        origin = "tenant" if name in rows else "bundled"
        if name in rows and name in BUNDLED:
            origin = "tenant (overrides bundled)"
        out.append((name, origin, get_profile(session, tenant, name)))
    return out


def set_profile(session: Session, tenant: str, name: str, *, base: str | None = None,
                columns: list[str] | None = None, vignette_style: str | None = None,
                prompt_files: dict[str, Path] | None = None) -> Profile:
    """Create or change a tenant's profile; the result is validated before it is stored."""
    name = name.strip()
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise InputError(f"profile name '{name}' must be 1-64 letters, digits, '-' or '_'")
    row = session.scalars(select(SettingProfile).where(SettingProfile.tenant == tenant,
                                                       SettingProfile.name == name)).first()
    data = dict(row.data) if row is not None else {}
    if base is not None:
        if base not in BUNDLED:
            raise InputError(f"--base '{base}' is not a bundled profile; choose one of {', '.join(BUNDLED)}")
        start = BUNDLED[base]
        data.setdefault("study_columns", list(start.study_columns))
        data.setdefault("vignette_style", start.vignette_style)
    if columns is not None:
        data["study_columns"] = columns
    if vignette_style is not None:
        data["vignette_style"] = vignette_style
    for task, path in (prompt_files or {}).items():
        if task not in TASKS:
            raise InputError(f"--prompt for unknown tasks ['{task}']; known: {', '.join(sorted(TASKS))}")
        try:
            data.setdefault("prompts", {})[task] = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise InputError(f"prompt file for '{task}' cannot be read: {path}: {e.strerror or e}") from None
    profile = apply_data(BUNDLED.get(name, BUNDLED.get(base or "", BUNDLED["default"])), name, data)
    if row is None:
        session.add(SettingProfile(tenant=tenant, name=name, data=data))
    else:
        row.data = data
    return profile


def delete_profile(session: Session, tenant: str, name: str) -> None:
    """Remove a tenant's profile (a bundled one of the same name applies again)."""
    row = session.scalars(select(SettingProfile).where(SettingProfile.tenant == tenant,
                                                       SettingProfile.name == name)).first()
    if row is None:
        raise InputError(f"tenant '{tenant}' has no profile '{name}' of its own")
    session.delete(row)
