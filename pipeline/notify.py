"""Messages back to where a job came from: the interface the Slack and LMS notifiers implement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # a type only: the ports module imports nothing that imports this one
    from .ports import Ports

EVENTS = ("progress", "finished", "failed", "cancelled")


class Notifier(Protocol):
    """Told of every move of every job; acts only on jobs of its own origin and must be idempotent."""

    def job_event(self, rt: "Ports", job_id: str, event: str) -> None:
        """React to `event` (one of EVENTS) after it is committed; raise only HandoutsError."""
