"""Setting profiles: the study table's columns, the vignettes' style and prompt overrides, per tenant.

Two profiles are bundled; a tenant may store its own under any name in `setting_profiles` (a row named like a
bundled profile adjusts that profile, any other name starts from "default").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from ..models import SettingProfile
from .schemas import TASKS


@dataclass(frozen=True)
class Profile:
    """What a profile sets for the AI tasks."""

    name: str
    study_columns: tuple[str, ...]
    vignette_style: Literal["applied", "clinical"] = "applied"
    prompts: dict[str, str] = field(default_factory=dict)


BUNDLED: dict[str, Profile] = {
    "default": Profile(
        "default",
        ("Concept", "Definition / key facts", "How it works", "Example", "Common pitfalls"),
        "applied"),
    "medical-step1": Profile(
        "medical-step1",
        ("Disease", "Etiology / risk factors", "Pathophysiology", "Clinical presentation", "Diagnosis", "Treatment",
         "Buzzwords / high-yield"),
        "clinical"),
}


class _ProfileData(BaseModel):
    """The JSON a tenant may store in SettingProfile.data."""

    model_config = ConfigDict(extra="forbid")

    study_columns: list[str] | None = Field(None, min_length=1, max_length=12)
    vignette_style: Literal["applied", "clinical"] | None = None
    prompts: dict[str, str] = Field(default_factory=dict)

    @field_validator("study_columns")
    @classmethod
    def _columns(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        cleaned = [" ".join(c.split()) for c in v]
        if any(not c for c in cleaned):
            raise ValueError("a column name is blank")
        if len({c.lower() for c in cleaned}) != len(cleaned):
            raise ValueError("column names repeat")
        return cleaned

    @field_validator("prompts")
    @classmethod
    def _prompts(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(TASKS))
        if unknown:
            raise ValueError(f"prompt overrides for unknown tasks {unknown}; known: {sorted(TASKS)}")
        if any(not text.strip() for text in v.values()):
            raise ValueError("a prompt override is empty")
        return v


def apply_data(base: Profile, name: str, data: dict) -> Profile:
    """`base` adjusted by a stored profile's data; InputError saying which field is wrong."""
    try:
        parsed = _ProfileData.model_validate(data or {})
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "data"
        raise InputError(f"setting profile '{name}' is invalid at '{where}': {err['msg']}; fix the profile's "
                         "data (keys: study_columns, vignette_style, prompts)", profile=name) from None
    return replace(base, name=name,
                   study_columns=tuple(parsed.study_columns) if parsed.study_columns else base.study_columns,
                   vignette_style=parsed.vignette_style or base.vignette_style,
                   prompts={**base.prompts, **parsed.prompts})


def get_profile(session: Session | None, tenant: str, name: str) -> Profile:
    """The tenant's profile `name`, falling back to the bundled one; InputError listing the known names."""
    row = None
    if session is not None:
        row = session.scalars(select(SettingProfile).where(SettingProfile.tenant == tenant,
                                                           SettingProfile.name == name)).first()
    if row is not None:
        return apply_data(BUNDLED.get(name, BUNDLED["default"]), name, row.data)
    if name in BUNDLED:
        return BUNDLED[name]
    known = set(BUNDLED)
    if session is not None:
        known |= set(session.scalars(select(SettingProfile.name).where(SettingProfile.tenant == tenant)))
    raise InputError(f"unknown setting profile '{name}'; known profiles: {', '.join(sorted(known))}",
                     profile=name)
