"""Production behaviour: how fast a killed worker's job resumes, what the lease heartbeat costs, jobs per hour.

    python -m benchmarks.recovery [--only death,heartbeat,throughput] [--kills N]

death       kill -9 a worker inside a stage, start another; seconds from the kill to the stage starting again,
            at the default lease settings. Peer in the same run: wake-ups only (the reaper off), the design
            before leases, where a killed worker's job waits for good.
heartbeat   the slide finder on a 10-minute lecture with and without a lease heartbeat beating beside it
            (at the default interval, and at 100 times that rate as an upper bound).
throughput  10-minute lectures with captions through the real pipeline (offline AI) with one and with two
            worker processes.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def death(kills: int) -> None:
    from pipeline.settings import load_settings
    from tests.fakes.held_worker import HeldWorld

    defaults = load_settings()
    print(f"death: lease {defaults.lease_seconds:.0f} s, heartbeat {defaults.heartbeat_seconds:.0f} s, "
          f"reaper every {defaults.reap_interval:.0f} s (defaults)")
    gaps = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(kills):
            gaps.append(_kill_and_resume(HeldWorld(Path(tmp) / f"ours{k}", fast=False), timeout=300))
        peer = _kill_and_resume(HeldWorld(Path(tmp) / "peer", fast=False, HANDOUTS_REAP_INTERVAL="100000"),
                                timeout=defaults.lease_seconds + 2 * defaults.reap_interval + 30)
    done = [g for g in gaps if g is not None]
    print(f"  leases + reaper: resumed {len(done)}/{kills}; kill → resume median {statistics.median(done):.1f} s, "
          f"max {max(done):.1f} s" if done else f"  leases + reaper: resumed 0/{kills}")
    print("  peer, wake-ups only: " + (f"resumed after {peer:.1f} s" if peer is not None else
                                       "never resumed within the wait (the job stays 'running')"))


def _kill_and_resume(w, timeout: float) -> float | None:
    w.hold.touch()
    [job_id] = w.submit()
    a = w.start()
    if not w.wait(lambda: ("b", "running") in w.runs(job_id), timeout=60):
        raise SystemExit("the first worker never started stage b")
    os.kill(a.pid, signal.SIGKILL)
    killed = time.time()
    a.wait()
    w.hold.unlink()
    w.start()
    resumed = w.wait(lambda: len(w.start_times("b")) >= 2, timeout=timeout)
    gap = w.start_times("b")[1] - killed if resumed else None
    w.close()
    return gap


def heartbeat(repeats: int) -> None:
    from benchmarks.slides import ensure_video
    from pipeline.db import make_engine, make_sessionmaker
    from pipeline.leases import LeaseKeeper
    from pipeline.models import Job, JobStatus, RunStatus, StageRun
    from pipeline.settings import load_settings
    from pipeline.slides import detect_slides

    video, _ = ensure_video("cuts", 10)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/hb.db"
        from handouts.schema import upgrade

        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)

        def claimed_run(owner: str) -> int:
            """A running stage run owned by `owner`, as the runner leaves it after its claim, so every beat renews."""
            with sessions() as s, s.begin():
                job = Job(source="heartbeat-benchmark", status=JobStatus.RUNNING, stage="slides")
                s.add(job)
                s.flush()
                run = StageRun(job_id=job.id, stage="slides", status=RunStatus.RUNNING, worker=owner)
                s.add(run)
                s.flush()
                return run.id

        def run(interval: float | None) -> tuple[float, float, int]:
            keeper = None
            if interval is not None:
                keeper = LeaseKeeper(load_settings(HANDOUTS_HEARTBEAT_SECONDS=interval), sessions)
                run_id = claimed_run(keeper.owner)
                keeper.hold(run_id)
            out = Path(tmp) / "slides"
            out.mkdir(exist_ok=True)
            t0, c0 = time.perf_counter(), time.process_time()
            detect_slides(video, out)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            beats = 0
            if keeper is not None:
                beats = keeper.beats
                if keeper.lost(run_id):
                    raise SystemExit("heartbeat: the benchmark's lease was lost, so its beats renewed nothing")
                keeper.drop(run_id)
            return wall, cpu, beats

        run(None)  # warm the decoder and the page cache
        rows: dict[str, list[tuple[float, float, int]]] = {
            "no heartbeat": [], "heartbeat every 10 s": [], "heartbeat every 0.1 s": []}
        for _ in range(repeats):  # interleaved, so drift on a shared machine hits each alike
            rows["no heartbeat"].append(run(None))
            rows["heartbeat every 10 s"].append(run(10.0))
            rows["heartbeat every 0.1 s"].append(run(0.1))

        # The cost of one beat on its own: what the heartbeat adds per interval, whatever the stage does meanwhile.
        keeper = LeaseKeeper(load_settings(), sessions)
        keeper._held.add(claimed_run(keeper.owner))
        n = 200
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            keeper.renew()
        beat_wall, beat_cpu = (time.perf_counter() - t0) / n, (time.process_time() - c0) / n
        default_interval = load_settings().heartbeat_seconds
    base_wall = statistics.median(r[0] for r in rows["no heartbeat"])
    base_cpu = statistics.median(r[1] for r in rows["no heartbeat"])
    print(f"heartbeat: slide finder on a 10-minute lecture, median of {repeats} (wall and CPU time of the process)")
    for name, values in rows.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        beats = statistics.median(v[2] for v in values)
        print(f"  {name:<24} wall {wall:6.2f} s ({100 * (wall / base_wall - 1):+5.1f} %)   "
              f"CPU {cpu:6.2f} s ({100 * (cpu / base_cpu - 1):+5.1f} %)   beats {beats:.0f}")
    print(f"  one beat (UPDATE + SELECT of the held run, SQLite): {1000 * beat_wall:.2f} ms wall, "
          f"{1000 * beat_cpu:.2f} ms CPU; at the default {default_interval:.0f} s interval that is "
          f"{100 * beat_cpu / default_interval:.4f} % of one core")


def throughput(jobs: int) -> None:
    from pipeline.synth import LectureSpec, make_lecture

    with tempfile.TemporaryDirectory() as tmp:
        lectures = []
        for i in range(jobs):
            video = Path(tmp) / f"lecture-{i}.mp4"
            make_lecture(video, LectureSpec(duration=600.0, slides=10, size=(1280, 720), fps=15, seed=40 + i,
                                            builds=True, srt=True))
            lectures.append(video)
        results = {}
        for procs in (1, 2):
            results[procs] = _run_batch(Path(tmp) / f"w{procs}", lectures, procs)
    print(f"throughput: {jobs} ten-minute lectures (sidecar captions, offline AI), 2 threads a worker")
    for procs, seconds in results.items():
        print(f"  {procs} worker process(es): {seconds:6.1f} s → {3600 * jobs / seconds:5.0f} jobs/hour")
    print(f"  ratio two/one: {results[1] / results[2]:.2f}")


def _run_batch(data: Path, lectures: list[Path], procs: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOUTS_")}
    env.update(HANDOUTS_DATA_DIR=str(data), HANDOUTS_AI_ENGINE="offline", HANDOUTS_LOG_LEVEL="warning",
               PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "handouts"]
    subprocess.run([*cmd, "db", "upgrade"], env=env, check=True, capture_output=True)
    workers = [subprocess.Popen([*cmd, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(procs)]
    t0 = time.perf_counter()
    out = subprocess.run([*cmd, "submit", *map(str, lectures), "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    import json

    ids = json.loads(out)["jobs"]
    while True:
        done = 0
        for job_id in ids:
            shown = json.loads(subprocess.run([*cmd, "jobs", "show", job_id, "--json"], env=env, check=True,
                                              capture_output=True, text=True).stdout)
            done += shown["status"] in ("completed", "completed_with_warnings", "failed", "dead")
        if done == len(ids):
            break
        time.sleep(1.0)
    seconds = time.perf_counter() - t0
    for w in workers:
        w.send_signal(signal.SIGTERM)
        w.wait(timeout=60)
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="death,heartbeat,throughput")
    p.add_argument("--kills", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--jobs", type=int, default=4)
    args = p.parse_args()
    only = set(args.only.split(","))
    if "heartbeat" in only:
        heartbeat(args.repeats)
    if "throughput" in only:
        throughput(args.jobs)
    if "death" in only:
        death(args.kills)


if __name__ == "__main__":
    main()
