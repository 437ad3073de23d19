"""Leases on running stages: a worker claims a stage run for a while and a heartbeat keeps renewing it.

The job row is the truth and Huey only carries wake-ups: a run is RUNNING only while its lease is alive. When a
worker dies (SIGKILL, power, a frozen machine) its heartbeat stops, the lease lapses, and the reaper gives the
stage to another worker. Every write a running stage makes at its end is conditional on still holding its lease,
so a worker that comes back late cannot finish a stage a second time.

The heartbeat is one thread per process renewing every lease it holds in one UPDATE. Stages decode video and
crunch pixels in C code that releases the GIL, so the thread keeps its beat.

A stage stops itself at its time limit when it next checks (every loop calls `check_cancel`). One stuck where it
cannot check (a hung read inside a C library) would otherwise keep its lease for ever, renewed by a heartbeat that
is still alive: past its limit plus HANDOUTS_STAGE_OVERRUN_GRACE the heartbeat gives that lease up instead, marked
as a timeout, and the reaper treats it like a dead worker's (resumed elsewhere, dead-lettered after repeats).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from .logs import get_logger
from .models import RunStatus, StageRun, utcnow
from .settings import Settings

log = get_logger("handouts.leases")


def worker_id() -> str:
    """This process's name as a lease owner: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseKeeper:
    """The leases this process holds; renews them from one heartbeat thread while any is held."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], owner: str | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.owner = owner or worker_id()
        self._held: set[int] = set()
        self._lost: set[int] = set()
        self._deadlines: dict[int, tuple[float, str]] = {}   # run id -> (monotonic time, why it is over)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._overran: dict[int, float] = {}   # run id -> monotonic time its lease was given up for overrunning
        self.beats = 0

    def expiry(self, now: datetime | None = None) -> datetime:
        """When a lease taken or renewed now lapses."""
        return (now or utcnow()) + timedelta(seconds=self.settings.lease_seconds)

    # ---- what the runner calls --------------------------------------------------------------------------------
    def hold(self, run_id: int, until: float | None = None, why: str = "") -> None:
        """Start renewing the lease of a run this process just claimed; past monotonic time `until`, stop (`why`)."""
        with self._lock:
            self._held.add(run_id)
            self._lost.discard(run_id)
            if until is not None:
                self._deadlines[run_id] = (until, why)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
                self._thread.start()

    def drop(self, run_id: int) -> None:
        """Stop renewing a run's lease (it ended, one way or another)."""
        with self._lock:
            self._held.discard(run_id)
            self._lost.discard(run_id)
            self._deadlines.pop(run_id, None)
            self._overran.pop(run_id, None)

    def lost(self, run_id: int) -> bool:
        """True once a heartbeat found that this run is no longer ours (reaped or released)."""
        with self._lock:
            return run_id in self._lost

    def held(self) -> set[int]:
        with self._lock:
            return set(self._held)

    def stuck(self, longer_than: float) -> list[int]:
        """Runs given up for overrunning more than `longer_than` seconds ago whose thread has still not returned."""
        clock = time.monotonic()
        with self._lock:
            return sorted(r for r, at in self._overran.items() if r in self._held and clock - at > longer_than)

    # ---- the heartbeat ----------------------------------------------------------------------------------------
    def renew(self) -> None:
        """Renew every held lease in one statement; any run that is no longer ours is marked lost."""
        ids = self.held()
        if not ids:
            return
        self._give_up_overruns()
        with self._lock:
            ids = self._held - self._lost
        if not ids:
            return
        now = utcnow()
        with self.sessions() as s, s.begin():
            s.execute(update(StageRun).where(StageRun.id.in_(ids), StageRun.status == RunStatus.RUNNING,
                                             StageRun.worker == self.owner)
                      .values(lease_expires_at=self.expiry(now)))
            ours = set(s.scalars(select(StageRun.id).where(StageRun.id.in_(ids),
                                                           StageRun.status == RunStatus.RUNNING,
                                                           StageRun.worker == self.owner)))
        with self._lock:
            news = (ids - ours) & self._held - self._lost
            self._lost |= news
        for run_id in news:  # once per run: the stage stops at its next check
            log.warning("lease_lost", run_id=run_id)
        self.beats += 1

    def _give_up_overruns(self) -> None:
        """Leases of runs past their limit and grace: expire them now, recorded as a timeout."""
        clock = time.monotonic()
        with self._lock:
            over = {r: why for r, (until, why) in self._deadlines.items()
                    if clock > until and r in self._held and r not in self._lost}
        if not over:
            return
        now = utcnow()
        with self.sessions() as s, s.begin():
            for run in s.scalars(select(StageRun).where(StageRun.id.in_(over), StageRun.status == RunStatus.RUNNING,
                                                        StageRun.worker == self.owner)):
                run.lease_expires_at = now
                run.error = {"code": "stage_timeout", "message": over[run.id]}
                log.error("stage_overran", job_id=run.job_id, stage=run.stage, run_id=run.id, reason=over[run.id])
        with self._lock:
            self._lost |= set(over)
            self._overran.update(dict.fromkeys(over, clock))

    def _beat(self) -> None:
        while True:
            with self._lock:
                if not self._held:
                    self._thread = None
                    return
            try:
                self.renew()
            except DBAPIError as e:  # the database is away: keep beating; the lease may lapse meanwhile
                log.warning("heartbeat_failed", error=type(e.orig).__name__ if e.orig else type(e).__name__)
            self._wake.wait(self.settings.heartbeat_seconds)
            self._wake.clear()

    def release_all(self, reason: str) -> list[tuple[str, str]]:
        """Give every held lease back at once (shutting down); returns the (job id, stage) pairs released."""
        ids = self.held()
        released: list[tuple[str, str]] = []
        if ids:
            with self.sessions() as s, s.begin():
                for run in s.scalars(select(StageRun).where(StageRun.id.in_(ids),
                                                            StageRun.status == RunStatus.RUNNING,
                                                            StageRun.worker == self.owner).with_for_update()):
                    run.status = RunStatus.RELEASED
                    run.finished_at = utcnow()
                    run.error = {"code": "released", "message": reason}
                    released.append((run.job_id, run.stage))
        with self._lock:
            self._lost |= self._held
        for job_id, stage in released:
            log.info("lease_released", job_id=job_id, stage=stage)
        return released
