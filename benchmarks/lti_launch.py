"""LTI benchmark: login + launch round trips per second and their latency under concurrent users.

    python -m benchmarks.lti_launch [--users 20] [--seconds 15]

Both tools run under waitress (8 threads, as `handouts serve` starts the app) on 127.0.0.1. A test platform
(tests/lti/platform.py: an RSA key, its JWKS served on loopback) signs a real id_token for every launch. Each
of the simulated users, in a separate (spawned) process, loops over:
    POST /login → read the state and nonce from the redirect → sign an id_token → POST /launch
and, for Handouts, the GET of the ticket page the launch redirects to (the page the user sees: the course's
dashboard; the peer answers the launch with a one-line page directly). One round trip is all of that; a second
Handouts row stops at the launch's 303, the protocol alone.
Peer, measured in the same run: a minimal pylti1p3 2.0.0 Flask tool as its README describes it (ToolConfDict,
FlaskOIDCLogin, FlaskMessageLaunch, Flask's cookie session), with pylti1p3's defaults: the state lives in a
cookie, the nonce in the session, and the platform's JWKS is fetched on every launch.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from waitress import create_server

ISSUER = "https://lms.bench.example"
CLIENT = "bench-client"
DEPLOYMENT = "bench-dep"


def _platform_server():
    from tests.fakes.http_server import FakeHTTPServer
    from tests.lti.platform import Platform

    server = FakeHTTPServer()
    return server, Platform(server, issuer=ISSUER, client_id=CLIENT, deployment_id=DEPLOYMENT)


def _ours(data: Path, platform, database_url: str | None = None):
    import structlog

    from handouts.app import create_app
    from handouts.wiring import open_runtime
    from pipeline.settings import load_settings
    from tests.bot.conftest import quick_stages

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    extra = {"DATABASE_URL": database_url} if database_url else {}
    settings = load_settings(HANDOUTS_DATA_DIR=str(data), HANDOUTS_ALLOW_PRIVATE_URLS=True,
                             HANDOUTS_LOG_LEVEL="warning", **extra)
    rt = open_runtime(settings, stages=quick_stages())
    platform.register(rt.sessions, replace=True)
    return create_app(runtime=rt), rt


def _peer(platform):
    from flask import Flask
    from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
    from pylti1p3.tool_config import ToolConfDict

    from tests.lti.platform import rsa_key

    pem, _ = rsa_key(3)
    from cryptography.hazmat.primitives import serialization

    public = serialization.load_pem_private_key(pem.encode(), None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    conf = ToolConfDict({ISSUER: [{"default": True, "client_id": CLIENT, "auth_login_url": platform.auth_url,
                                   "auth_token_url": platform.server.url("/token"),
                                   "key_set_url": platform.key_set_url, "deployment_ids": [DEPLOYMENT]}]})
    conf.set_private_key(ISSUER, pem, client_id=CLIENT)
    conf.set_public_key(ISSUER, public, client_id=CLIENT)
    app = Flask("peer")
    app.secret_key = "bench-peer"

    @app.route("/lti/login", methods=["GET", "POST"])
    def login():
        from flask import request

        return FlaskOIDCLogin(FlaskRequest(), conf).redirect(request.host_url + "lti/launch")

    @app.post("/lti/launch")
    def launch():
        data = FlaskMessageLaunch(FlaskRequest(), conf).get_launch_data()
        return f"<!doctype html><title>Peer</title><h1>{data['https://purl.imsglobal.org/spec/lti/claim/context']['title']}</h1>"

    return app


def _user(base: str, seconds: float, key: tuple[str, dict], follow: bool, out, barrier) -> None:
    import jwt

    from tests.lti.platform import Platform

    class _NoServer:
        def route(self, *a):
            pass

        def add(self, *a, **k):
            pass

        def url(self, path):
            return "http://unused" + path

    from cryptography.hazmat.primitives import serialization

    platform = Platform(_NoServer(), issuer=ISSUER, client_id=CLIENT, deployment_id=DEPLOYMENT)
    private = serialization.load_pem_private_key(key[0].encode(), None)  # loading a PEM costs ~90 ms: once
    times, errors = [], 0
    barrier.wait()
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as c:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                r = c.post("/lti/login", data={"iss": ISSUER, "client_id": CLIENT, "login_hint": "u1",
                                               "target_link_uri": base + "/lti/launch",
                                               "lti_deployment_id": DEPLOYMENT})
                q = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}
                token = jwt.encode(platform.claims(q["nonce"]), private, algorithm="RS256",
                                   headers={"kid": key[1]["kid"]})
                r = c.post("/lti/launch", data={"id_token": token, "state": q["state"]})
                if r.status_code == 303 and follow:
                    r = c.get(r.headers["location"])
                ok = r.status_code in ((200,) if follow else (200, 303))
            except (httpx.HTTPError, KeyError):
                ok = False
            if ok:
                times.append(time.perf_counter() - t0)
            else:
                errors += 1
        out.put((times, errors))


def measure(app, users: int, seconds: float, follow: bool = True) -> dict:
    from tests.lti.platform import rsa_key

    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        ctx = multiprocessing.get_context("spawn")
        out, barrier = ctx.Queue(), ctx.Barrier(users + 1)
        procs = [ctx.Process(target=_user, args=(base, seconds, rsa_key(0), follow, out, barrier))
                 for _ in range(users)]
        for p in procs:
            p.start()
        barrier.wait()  # every user is loaded and ready: the clock starts now
        started = time.monotonic()
        results = [out.get(timeout=seconds + 120) for _ in procs]
        wall = time.monotonic() - started
        for p in procs:
            p.join()
    finally:
        server.close()
    lat = sorted(t for times, _ in results for t in times)
    errors = sum(e for _, e in results)
    return {"rps": len(lat) / wall, "p50": statistics.median(lat) * 1000 if lat else float("nan"),
            "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000 if lat else float("nan"),
            "n": len(lat), "errors": errors}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.lti_launch", description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--database-url", help="the store of Handouts (default: SQLite in a temporary folder)")
    args = ap.parse_args(argv)
    logging.getLogger("waitress").setLevel(logging.ERROR)
    server, platform = _platform_server()
    with tempfile.TemporaryDirectory() as tmp:
        ours, rt = _ours(Path(tmp), platform, args.database_url)
        store = "PostgreSQL" if args.database_url else "SQLite"
        rows = [(f"Handouts, {store} (+ ticket page GET)", measure(ours, args.users, args.seconds)),
                (f"Handouts, {store}, login + launch only", measure(ours, args.users, args.seconds, follow=False)),
                ("peer: minimal pylti1p3 Flask tool", measure(_peer(platform), args.users, args.seconds))]
        rt.close()
    server.close()
    print(f"LTI login + launch round trips, {args.users} concurrent users, ~{args.seconds:g} s each, "
          "waitress 8 threads on 127.0.0.1")
    print(f"{'tool':<46}{'rt/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'done':>7}{'errors':>8}")
    for label, m in rows:
        print(f"{label:<46}{m['rps']:>8.1f}{m['p50']:>9.1f}{m['p99']:>9.1f}{m['n']:>7}{m['errors']:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
