"""Who a job belongs to and where it answers: origins, tenants and typed reply addresses.

A job's `reply_to` column holds one of the address models below as JSON; code reads and writes it only through
`Job.address` (validated on the way in and out). What was already posted lives in the deliveries table, never
in the address.

Tenants follow one convention, short enough for storage keys (t/<tenant>/…):
    local                          the CLI and the embedded web app
    slack:<team or enterprise id>  a Slack workspace (or an org-wide install)
    lti:<12 hex of issuer>:<deployment id>   an LMS platform's deployment
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .errors import InputError


class Origin(StrEnum):
    """Where a job was asked for."""

    CLI = "cli"
    WEB = "web"
    SLACK = "slack"
    LTI = "lti"


class _Address(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CliAddress(_Address):
    """A job from the command line or the operator pages: it answers nowhere but its own process."""

    kind: Literal["cli"] = "cli"


class SlackAddress(_Address):
    """A Slack job answers in the channel (and thread) it came from, to the person who asked."""

    kind: Literal["slack"] = "slack"
    team_id: str | None = None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False
    channel_id: str
    user_id: str
    thread_ts: str | None = None


class LtiAddress(_Address):
    """An LTI job answers in the course it came from: the platform, deployment, context and resource link."""

    kind: Literal["lti"] = "lti"
    issuer: str
    client_id: str
    deployment_id: str
    context_id: str
    user_id: str
    resource_link_id: str | None = None
    line_item: str | None = None
    email: str | None = None
    return_url: str | None = None


Address = Annotated[Union[CliAddress, SlackAddress, LtiAddress], Field(discriminator="kind")]
_ADDRESS = TypeAdapter(Address)
ORIGIN_OF = {"cli": Origin.CLI, "slack": Origin.SLACK, "lti": Origin.LTI}


def parse_address(data: dict | None) -> CliAddress | SlackAddress | LtiAddress:
    """The typed address stored in a job row (an empty one is the CLI's)."""
    if not data:
        return CliAddress()
    return _ADDRESS.validate_python(data)


def dump_address(address: CliAddress | SlackAddress | LtiAddress) -> dict:
    """The JSON stored for an address."""
    return address.model_dump(mode="json", exclude_none=True)


_SLACK_ID = re.compile(r"^[A-Z0-9]{1,32}$")


def slack_tenant(team_id: str | None, enterprise_id: str | None = None) -> str:
    """The tenant of a Slack workspace (an org-wide install without a team is its enterprise)."""
    ident = team_id or enterprise_id
    if not ident or not _SLACK_ID.match(ident):
        raise InputError(f"team_id {ident!r} is not a Slack team or enterprise id (capital letters and digits)",
                         field="team_id")
    return f"slack:{ident}"


def lti_tenant(issuer: str, deployment_id: str) -> str:
    """The tenant of an LMS deployment: a short hash of the issuer (URLs are long) and the deployment id."""
    if not issuer or not deployment_id:
        raise InputError("an LTI tenant needs the platform's issuer and the deployment id", field="deployment_id")
    digest = hashlib.sha256(issuer.encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", deployment_id)[:64]
    return f"lti:{digest}:{safe}"


def lti_scope(context_id: str) -> str:
    """The scope of a course context inside its tenant."""
    return f"course:{context_id}"


def slack_scope(channel_id: str) -> str:
    """The scope of a Slack channel inside its workspace."""
    return f"channel:{channel_id}"
