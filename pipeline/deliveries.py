"""Each effect on the outside world, recorded once per (job, target, kind), so no retry repeats it.

Adapters' notifiers look here before they post or upload, and record what the outside world answered right
after (a message's ts, a file's id and permalink, the content hash that was sent). A record is its own short
transaction: it must land even when the job's own transaction is elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .models import Delivery, utcnow


@dataclass(frozen=True)
class Sent:
    """A delivery as adapters read it."""

    target: str
    kind: str
    status: str
    ref: dict[str, Any]
    error: str | None


def sent(session: Session, job_id: str) -> dict[tuple[str, str], Sent]:
    """Every delivery of a job, by (target, kind)."""
    rows = session.scalars(select(Delivery).where(Delivery.job_id == job_id).order_by(Delivery.id))
    return {(d.target, d.kind): Sent(d.target, d.kind, d.status, dict(d.ref or {}), d.error) for d in rows}


def record(sessions: sessionmaker[Session], job_id: str, target: str, kind: str, *, ref: dict | None = None,
           status: str = "done", error: str | None = None) -> Sent:
    """Create or update one delivery (ref merged into what is there) in its own transaction."""
    for _ in range(2):  # a second writer may insert the same key between our look and our insert
        try:
            with sessions() as s, s.begin():
                row = s.scalar(select(Delivery).where(Delivery.job_id == job_id, Delivery.target == target,
                                                      Delivery.kind == kind).with_for_update())
                if row is None:
                    row = Delivery(job_id=job_id, target=target, kind=kind, ref={})
                    s.add(row)
                row.ref = {**(row.ref or {}), **(ref or {})}
                row.status = status
                row.error = error
                row.updated_at = utcnow()
                s.flush()
                return Sent(row.target, row.kind, row.status, dict(row.ref), row.error)
        except IntegrityError:
            continue
    raise RuntimeError(f"delivery {job_id}/{target}/{kind} could not be recorded")


def forget(sessions: sessionmaker[Session], job_id: str, target: str, kind: str) -> None:
    """Remove one delivery record (the outside world lost what it pointed to)."""
    with sessions() as s, s.begin():
        row = s.scalar(select(Delivery).where(Delivery.job_id == job_id, Delivery.target == target,
                                              Delivery.kind == kind))
        if row is not None:
            s.delete(row)
