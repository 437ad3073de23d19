"""What a launch's roles let its user do in the course: manage handouts, open them, or nothing.

Only *context* (course membership) roles count: institution roles such as Instructor or Faculty arrive in every
course a person visits and say nothing about this one. Full URIs and Moodle's short names ("Instructor") are the
same role. Canvas sends a TA as `membership/Instructor#TeachingAssistant` next to `membership#Instructor`, so the
TA sub-role decides, and HANDOUTS_LTI_TA_RIGHTS says what a TA may do.
"""

from __future__ import annotations

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
MANAGE = "instructor"
VIEW = "learner"

_MANAGERS = {"Instructor", "Administrator", "ContentDeveloper"}
_VIEWERS = {"Learner", "Member", "Mentor"}


def context_roles(roles: list[str]) -> set[str]:
    """Context role names of a roles claim: 'Instructor', 'Learner', 'Instructor#TeachingAssistant' …"""
    out = set()
    for role in roles or []:
        if not isinstance(role, str):
            continue
        role = role.strip()
        if role.startswith(MEMBERSHIP + "#"):
            out.add(role[len(MEMBERSHIP) + 1:])
        elif role.startswith(MEMBERSHIP + "/"):
            out.add(role[len(MEMBERSHIP) + 1:])  # a sub-role: Instructor#TeachingAssistant
        elif "/" not in role and ":" not in role:
            out.add(role)  # a short name, as Moodle and LTI 1.1-era platforms send
    return out


def is_teaching_assistant(names: set[str]) -> bool:
    return "TeachingAssistant" in names or any(n.endswith("#TeachingAssistant") for n in names)


def access(roles: list[str], ta_rights: str = MANAGE) -> str | None:
    """MANAGE, VIEW or None for a roles claim."""
    names = context_roles(roles)
    if is_teaching_assistant(names):
        return MANAGE if ta_rights == MANAGE else VIEW
    base = {n.split("#", 1)[0] for n in names}
    if base & _MANAGERS:
        return MANAGE
    if base & _VIEWERS:
        return VIEW
    return None
