"""What every listener gets: the process's Runtime and a notifier to draw job messages with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.notifier import SlackNotifier
from pipeline.addresses import slack_tenant
from pipeline.models import Job
from pipeline.runtime import Runtime

if TYPE_CHECKING:
    from pipeline.panopto.accounts import PanoptoAccounts


def tenant_of(team_id: str | None, enterprise_id: str | None = None) -> str:
    """The job tenant for a workspace (an org-wide install without a team is its enterprise)."""
    return slack_tenant(team_id, enterprise_id)


@dataclass
class Deps:
    """Ports the listeners share; built once per app."""

    rt: Runtime
    notifier: SlackNotifier
    oauth: bool = False
    panopto: "PanoptoAccounts | None" = None
    # runs work a listener accepted after its ack (bot.app hands it to the start pool); inline by default
    after_ack: Callable[..., object] = field(default=lambda fn, *args: fn(*args))

    @property
    def stages(self) -> list[str]:
        return [s.name for s in self.rt.stages]

    def may_act(self, job: Job, user_id: str) -> bool:
        """The requester and the configured instructors of the job's channel may cancel or retry it."""
        channel = getattr(job.address, "channel_id", "") or ""
        return job.owner == user_id or user_id in self.rt.settings.slack_instructors.get(channel, [])
