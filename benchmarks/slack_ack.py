"""Slack benchmark: /handout acknowledgement latency under 50 concurrent commands, and Slack calls per job.

    python -m benchmarks.slack_ack [--commands 50] [--rounds 3]

The Flask app with the Slack adapter runs under waitress (8 threads, as `handouts serve` starts it) on
127.0.0.1 against the fake Slack Web API of tests/fakes; every command is a signed request sent over HTTP at
the same moment. After its ack each command still checks the channel, inserts its job, posts its progress
message and queues the job (SQLite queue, no worker), so that work competes with the acks for the CPU.
The load comes from a separate process (spawned), the fake Slack runs in the app's process.
Peer, measured in the same run: the same app with Bolt's default listener pool of 5 threads, each listener
starting its job on its own thread after the ack (Bolt's usual pattern), with no bound on how many at once.
Calls per job: one job run end to end (three quick stages, three files to deliver) with the call log counted
by method.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from waitress import create_server

import bot
import bot.app
from handouts.wiring import open_runtime
from pipeline.settings import load_settings
from handouts.app import create_app
from tests.bot.conftest import quick_stages
from tests.fakes.slack_api import start_fake_slack
from benchmarks import quiet_logs

SECRET = "bench-secret"
TOKEN = "xoxb-bench"
_ids = count(1)


def _settings(data: Path, api_url: str, **extra):
    return load_settings(HANDOUTS_DATA_DIR=str(data), SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN=TOKEN,
                         SLACK_API_URL=api_url, HANDOUTS_ALLOW_PRIVATE_URLS=True, HANDOUTS_SLACK_USER_RATE=10_000,
                         HANDOUTS_SLACK_TEAM_RATE=10_000, HANDOUTS_SLACK_UPDATE_INTERVAL=0,
                         HANDOUTS_LOG_LEVEL="warning", **extra)


def _command_body(fake, user: str) -> str:
    n = next(_ids)
    return urlencode({"team_id": "T1", "channel_id": "C1", "user_id": user, "command": "/handout",
                      "text": f"https://media.example.edu/lecture-{n}.mp4", "api_app_id": "A1",
                      "response_url": fake.response_url(f"b{n}"), "trigger_id": f"bench-{n}"})


def _burst(url: str, bodies: list[str]) -> list[float]:
    """Send every body at once from this (separate) process; seconds from send to the ack, each."""
    signed = []
    for body in bodies:  # sign before the clock starts: Slack signs on its side, not on our time
        ts = str(int(time.time()))
        signed.append((body, {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                              "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts,
                                                                                               body=body)}))
    gate = threading.Barrier(len(signed))
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=len(signed))) as client:
        def one(item) -> float:
            body, headers = item
            gate.wait()
            started = time.perf_counter()
            r = client.post(url, content=body, headers=headers)
            took = time.perf_counter() - started
            if r.status_code != 200 or "Starting" not in r.text:
                raise SystemExit(f"unexpected answer {r.status_code}: {r.text[:200]}")
            return took

        with ThreadPoolExecutor(len(signed)) as ex:
            return list(ex.map(one, signed))


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def measure_acks(pool: int, commands: int, rounds: int, bounded: bool = True) -> dict:
    """Ack latencies (seconds) of `rounds` bursts of `commands` concurrent commands, listener pool of `pool`,
    post-ack work bounded as shipped or not at all."""
    fake, fake_server = start_fake_slack()
    fake.add_workspace("T1", TOKEN)
    fake.add_channel("C1")
    saved = bot.app.LISTENER_THREADS, bot.app.STARTS_AT_ONCE
    bot.app.LISTENER_THREADS = pool
    if not bounded:
        bot.app.STARTS_AT_ONCE = 0  # start on the listener's thread
    with tempfile.TemporaryDirectory(prefix="handouts-bench-") as tmp:
        rt = open_runtime(_settings(Path(tmp), fake.api_url), immediate=False, stages=quick_stages())
        app = create_app(runtime=rt)  # mounts /slack/events
        server = create_server(app, host="127.0.0.1", port=0, threads=8)
        threading.Thread(target=server.run, daemon=True).start()
        url = f"http://127.0.0.1:{server.effective_port}/slack/events"
        try:
            # the load comes from another process, so the sender's own work does not share our interpreter
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(1) as sender:
                sender.apply(_burst, (url, [_command_body(fake, "Uwarm")]))  # first request fills Bolt's caches
                latencies: list[float] = []
                for r in range(rounds):
                    bodies = [_command_body(fake, f"U{r}-{i}") for i in range(commands)]
                    latencies += sender.apply(_burst, (url, bodies))
                    fake.wait_for(lambda: len(fake.called("chat.postMessage")) >= (r + 1) * commands + 1,
                                  timeout=60)
            started_jobs = len(fake.called("chat.postMessage"))
        finally:
            server.close()
            rt.close()
            bot.app.LISTENER_THREADS, bot.app.STARTS_AT_ONCE = saved
            fake_server.shutdown()
    return {"latencies": latencies, "jobs_started": started_jobs}


def count_calls() -> Counter:
    """Slack Web API calls (and raw uploads) for one job, from the command to the last DM."""
    fake, fake_server = start_fake_slack()
    fake.add_workspace("T1", TOKEN)
    fake.add_channel("C1")
    with tempfile.TemporaryDirectory(prefix="handouts-bench-") as tmp:
        rt = open_runtime(_settings(Path(tmp), fake.api_url, HANDOUTS_SLACK_INSTRUCTORS={"C1": ["U9"]}),
                            immediate=True, stages=quick_stages())
        app = create_app(runtime=rt)  # mounts /slack/events
        client = app.test_client()
        body = _command_body(fake, "U1")
        ts = str(int(time.time()))
        client.post("/slack/events", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)})
        fake.wait_for(lambda: len([c for c in fake.called("chat.postMessage")
                                   if c.params["channel"].startswith("D")]) == 2, timeout=30)
        time.sleep(0.2)
        rt.close()
    fake_server.shutdown()
    return Counter(c.method for c in fake.calls if c.method != "auth.test")


@quiet_logs()
def main(argv: list[str] | None = None) -> int:
    """Print ack latency p50/p99 for ours and the peer, and the calls one job makes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    print(f"/handout ack latency, {args.rounds} bursts of {args.commands} concurrent signed commands "
          "(waitress 8 threads, loopback fake Slack)")
    print(f"{'listener pool':<44}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'jobs':>7}")
    runs = ((f"ours: {bot.app.LISTENER_THREADS} threads, {bot.app.STARTS_AT_ONCE} starts at once",
             bot.app.LISTENER_THREADS, True), ("peer: Bolt's default 5 threads", 5, False))
    for label, pool, bounded in runs:
        res = measure_acks(pool, args.commands, args.rounds, bounded)
        lat = [x * 1000 for x in res["latencies"]]
        print(f"{label:<44}{statistics.median(lat):>9.1f}{_pct(lat, 99):>9.1f}{max(lat):>9.1f}"
              f"{res['jobs_started'] - 1:>7}")
    calls = count_calls()
    total = sum(v for k, v in calls.items() if k != "upload")
    print(f"\nSlack calls for one job (3 files delivered, requester + 1 instructor DMed): {total} Web API calls "
          f"+ {calls.get('upload', 0)} raw uploads")
    for method, n in sorted(calls.items()):
        print(f"  {method:<34}{n:>3}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
