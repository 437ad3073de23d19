"""A worker process: Huey's consumer threads, the lease heartbeat, the reaper, and a graceful stop.

On SIGTERM (every deploy, systemd, Kubernetes, Cloud Foundry) or SIGINT the worker stops taking tasks at once,
lets running stages finish for HANDOUTS_SHUTDOWN_GRACE seconds, then gives back the leases of those still
running and queues their stages again, so another worker resumes them now instead of after a lease lapses.

A stage hung where it cannot be stopped (a read stuck inside a C library) loses its lease past its time limit and
HANDOUTS_STAGE_OVERRUN_GRACE, and another worker resumes it; its thread, which Python cannot kill, would keep one
of this worker's threads busy. When such a thread has still not returned another HANDOUTS_STAGE_OVERRUN_GRACE
later, `run` stops the worker as on SIGTERM and returns EXIT_STUCK, so the service manager starts a fresh one.
"""

from __future__ import annotations

import signal
import threading
import time

from .logs import get_logger
from .ports import Ports
from .reaper import Reaper

log = get_logger("handouts.worker")

EXIT_STUCK = 70   # EX_SOFTWARE: systemd's Restart=on-failure, Kubernetes and Procfile platforms start it again


class Worker:
    """Consumer threads plus reaper for one process; `start`, then `stop` (or `run` until a signal)."""

    def __init__(self, rt: Ports, threads: int | None = None) -> None:
        self.rt = rt
        self.threads = threads or rt.settings.worker_threads
        self.consumer = rt.huey.create_consumer(workers=self.threads, worker_type="thread", periodic=False,
                                                check_worker_health=True)
        self.reaper = Reaper(rt)
        self.stopping = threading.Event()

    def start(self) -> "Worker":
        self.consumer.start()
        self.reaper.start()
        log.info("worker_started", threads=self.threads, owner=self.rt.leases.owner)
        return self

    def run(self) -> int:
        """Work until SIGTERM or SIGINT (0) or a stage thread stuck for good (EXIT_STUCK), then stop gracefully."""
        self.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _frame: self.stopping.set())
        grace = self.rt.settings.overrun_grace
        while not self.stopping.wait(min(1.0, max(grace / 4, 0.05))):  # a grace of 0 must not spin
            stuck = self.rt.leases.stuck(longer_than=grace)
            if stuck:
                log.error("worker_restarting", runs=stuck,
                          reason=f"a stage thread is still stuck {grace:g} s after its lease was given up; "
                                 "a fresh worker process frees it")
                self.stop()
                return EXIT_STUCK
        self.stop()
        return 0

    def stop(self, grace: float | None = None) -> list[tuple[str, str]]:
        """Take no more tasks, let running stages finish within `grace`, give back what is still running."""
        grace = self.rt.settings.shutdown_grace if grace is None else grace
        self.consumer.stop_flag.set()
        self.reaper.stop()
        deadline = time.monotonic() + grace
        while self.rt.leases.held() and time.monotonic() < deadline:
            time.sleep(0.05)
        released = self.rt.leases.release_all("the worker was stopped before the stage finished; another "
                                              "worker resumes it")
        for job_id, stage in released:
            try:
                self.rt.enqueue_stage(job_id, stage)
            except Exception as e:  # the queue is away: the reaper of another worker wakes the job later
                log.warning("wake_up_deferred", job_id=job_id, stage=stage, error=f"{type(e).__name__}: {e}")
        self.consumer.stop(graceful=False)
        log.info("worker_stopped", released=len(released))
        return released
