"""A worker process over three small stages, the middle one held while a file exists: for killing workers.

    python -m tests.fakes.held_worker      (settings from the environment, like `handouts worker`)

Each stage appends "<stage> <pid> <unix time>" to $HELD_LOG when it starts; stage "b" stores an artifact, then waits while
$HELD_FILE exists (with $HELD_STUCK set, without ever checking for cancellation or its time limit: a hung stage).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipeline.context import StageDef


def _note(stage: str) -> None:
    with open(os.environ["HELD_LOG"], "a") as f:
        f.write(f"{stage} {os.getpid()} {time.time():.3f}\n")


def _a(ctx):
    _note("a")
    return {"a": True}


def _b(ctx):
    _note("b")
    p = ctx.workdir / "b.txt"
    p.write_text("made by b")
    ctx.save_artifact(p, "manifest")
    hold = Path(os.environ["HELD_FILE"])
    stuck = bool(os.environ.get("HELD_STUCK"))
    while hold.exists():
        if not stuck:
            ctx.check_cancel()
        time.sleep(0.05)
    return {"b": True}


def _c(ctx):
    _note("c")
    return {"c": True, "title": "Held"}


STAGES = (StageDef("a", _a, 1), StageDef("b", _b, 1), StageDef("c", _c, 1))


def main() -> None:
    from handouts.wiring import open_runtime
    from pipeline.logs import configure_logging
    from pipeline.settings import load_settings
    from pipeline.worker import Worker

    settings = load_settings()
    configure_logging(settings)
    raise SystemExit(Worker(open_runtime(settings, stages=STAGES), 2).run())


if __name__ == "__main__":
    main()


class HeldWorld:
    """A data folder, a job over STAGES, and worker processes to start, kill and stop."""

    def __init__(self, tmp: Path, *, fast: bool = True, **settings: str) -> None:
        import sys

        self.tmp = tmp
        self.hold = tmp / "hold"
        self.log = tmp / "stages.log"
        tmp.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOUTS_")
                    and k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(HANDOUTS_DATA_DIR=str(tmp / "data"), HANDOUTS_LOG_FORMAT="json",
                        HANDOUTS_STAGE_RETRY_DELAY="0", HELD_FILE=str(self.hold), HELD_LOG=str(self.log),
                        PYTHONPATH=str(Path(__file__).parents[2]))
        if fast:  # seconds instead of the defaults' minute, so tests see deaths and stops at once
            self.env.update(HANDOUTS_LEASE_SECONDS="2", HANDOUTS_HEARTBEAT_SECONDS="0.3",
                            HANDOUTS_REAP_INTERVAL="0.3", HANDOUTS_STALL_SECONDS="3", HANDOUTS_SHUTDOWN_GRACE="0.3")
        self.env.update(settings)
        self.python = sys.executable
        self.procs = []
        from handouts.wiring import open_runtime
        from pipeline.settings import load_settings

        values = {k: v for k, v in self.env.items() if k.startswith("HANDOUTS_") or k in ("DATABASE_URL",
                                                                                          "REDIS_URL")}
        self.rt = open_runtime(load_settings(**values), stages=STAGES)

    def submit(self, n: int = 1) -> list[str]:
        from pipeline.jobs import submit_job

        ids = []
        for i in range(n):
            with self.rt.transaction() as s:
                ids.append(submit_job(s, self.rt.enqueue, source=f"lecture-{i}.mp4").id)
        return ids

    def start(self):
        import subprocess

        # logs go to a file: a pipe nobody reads fills up and blocks the worker's next log line
        log = open(self.tmp / f"worker-{len(self.procs)}.log", "w")
        proc = subprocess.Popen([self.python, "-m", "tests.fakes.held_worker"], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, text=True)
        log.close()
        self.procs.append(proc)
        return proc

    def supervised(self, what):
        """`what`, checked as a service manager with Restart=on-failure watches: a worker that exited is started anew.

        Records each exit status in `self.exits`."""
        self.exits = getattr(self, "exits", [])

        def check():
            last = self.procs[-1]
            if last.poll() is not None:
                self.exits.append(last.returncode)
                self.start()
            return what()
        return check

    def runs(self, job_id: str) -> list[tuple[str, str]]:
        from pipeline.models import Job

        with self.rt.sessions() as s:
            return [(r.stage, r.status) for r in s.get(Job, job_id).stage_runs]

    def job(self, job_id: str):
        from pipeline.models import Job

        with self.rt.sessions() as s:
            job = s.get(Job, job_id)
            _ = job.artifacts, job.stage_runs
            return job

    def wait(self, what, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what():
                return True
            time.sleep(0.05)
        return what()

    def started(self) -> list[str]:
        return [line.split()[0] for line in self.log.read_text().splitlines()]

    def start_times(self, stage: str) -> list[float]:
        """When each run of `stage` started (unix time)."""
        return [float(t) for st, _pid, t in (line.split() for line in self.log.read_text().splitlines())
                if st == stage]

    def close(self) -> str:
        """Stop every worker still running; returns what they wrote to stderr."""
        import signal

        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except Exception:
                p.kill()
                p.wait()
        self.rt.close()
        return "\n".join((self.tmp / f"worker-{i}.log").read_text() for i in range(len(self.procs)))
