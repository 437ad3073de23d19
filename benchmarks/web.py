"""Web benchmark: p50/p99 latency of the jobs list and a job page with 100 000 jobs in PostgreSQL.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m benchmarks.web [--jobs 100000]
        [--requests 300] [--keep]

It makes a database of its own beside TEST_DATABASE_URL's (dropped afterwards unless --keep), migrates it,
writes the jobs with COPY (three tenants, every status, a job a few seconds apart) and one job with six stage
runs and ten files, then asks each page in-process through the WSGI test client (no network, no server
threads: what is timed is routing, the queries, the template and the headers).

Ours: `handouts.app.create_app` (sign-in check, CSRF token, security headers, the keyset-paged list with its
status counts, the job summary). Peer, measured in the same run, interleaved request by request: a minimal
Flask + SQLAlchemy app over the same engine URL and models doing the same queries (the same 51 newest jobs, the
same status counts, the same job with its runs and files) and rendering a bare Jinja table, with no sign-in,
CSRF or headers. The ratio is ours / peer at each percentile.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Flask, request
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

TENANTS = ("slack:T01", "lti:0a1b2c3d4e5f:1", "local")
STATUSES = ("completed", "completed", "completed", "completed_with_warnings", "failed", "cancelled", "running",
            "queued", "dead")


def _database(base: str) -> tuple[str, object, str]:
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1) if base.startswith("postgresql://")
                   else base)
    name = f"handouts_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), admin, name


def _fill(engine, n: int) -> None:
    """n jobs by COPY, newest last, a few seconds apart; titles like a semester's lectures."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    buf = io.StringIO()
    for i in range(n):
        t = (start + timedelta(seconds=7 * i)).isoformat()
        status = STATUSES[i % len(STATUSES)]
        tenant = TENANTS[i % len(TENANTS)]
        buf.write("\t".join([uuid.uuid4().hex, tenant, f"course:{i % 40}", f"u{i % 500}", "web", "{}",
                             f"https://media.example.edu/rec/{i}.mp4", "{}", status, "100" if status.startswith(
                                 "completed") else "40", "done" if status.startswith("completed") else "slides",
                             "[]", "f", f"Lecture {i}: week {i % 14} of course {i % 40}", t, t]) + "\n")
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            with cur.copy("COPY jobs (id, tenant, scope, owner, origin, reply_to, source, options, status, progress, "
                          "message, warnings, cancel_requested, title, created_at, updated_at) FROM STDIN") as cp:
                cp.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE jobs"))  # what autovacuum does soon after a load like this


def _one_full_job(rt) -> str:
    from pipeline.models import Artifact, Job, StageRun, utcnow

    with rt.transaction() as s:
        job = Job(source="https://media.example.edu/rec/full.mp4", tenant="local", owner="u1", title="A full job",
                  status="completed", progress=100, message="done", warnings=["a warning"], created_at=utcnow())
        s.add(job)
        s.flush()
        for k, stage in enumerate(("fetch", "captions", "slides", "align", "study", "render")):
            s.add(StageRun(job_id=job.id, stage=stage, attempt=1, status="succeeded", seconds=1.5 + k,
                           output={}))
        for k in range(10):
            s.add(Artifact(job_id=job.id, kind="handout_grid", name=f"file-{k}.pdf", content_type="application/pdf",
                           size=123_456 * (k + 1), storage_key=f"t/local/jobs/{job.id}/file-{k}.pdf", sha256="0" * 64,
                           stage="render"))
        return job.id


_PEER_LIST = """<!doctype html><title>Jobs</title><p>{% for k, v in counts %}{{ k }}: {{ v }} {% endfor %}</p>
<table>{% for j in jobs %}<tr><td><a href="/jobs/{{ j.id }}">{{ j.title }}</a></td><td>{{ j.status }}</td>
<td>{{ j.progress }}</td><td>{{ j.message }}</td><td>{{ j.created_at }}</td></tr>{% endfor %}</table>"""
_PEER_JOB = """<!doctype html><title>{{ j.title }}</title><h1>{{ j.title }}</h1><p>{{ j.status }} {{ j.message }}</p>
<ul>{% for a in j.artifacts %}<li><a href="/f/{{ a.name }}">{{ a.name }}</a> {{ a.size }}</li>{% endfor %}</ul>
<table>{% for r in j.stage_runs %}<tr><td>{{ r.stage }}</td><td>{{ r.status }}</td><td>{{ r.seconds }}</td></tr>
{% endfor %}</table>"""


def peer_app(url: str) -> Flask:
    """The minimal Flask + SQLAlchemy page doing the same queries."""
    from pipeline.models import Job

    engine = create_engine(url, pool_pre_ping=True)
    app = Flask("peer")
    list_page, job_page = app.jinja_env.from_string(_PEER_LIST), app.jinja_env.from_string(_PEER_JOB)

    @app.get("/")
    def jobs():
        tenant = request.args.get("tenant")
        with Session(engine) as s:
            q = select(Job)
            c = select(Job.status, func.count()).group_by(Job.status)
            if tenant:
                q, c = q.where(Job.tenant == tenant), c.where(Job.tenant == tenant)
            rows = list(s.scalars(q.order_by(Job.created_at.desc(), Job.id.desc()).limit(51)))
            counts = sorted(s.execute(c).all())
            return list_page.render(jobs=rows[:50], counts=counts)

    @app.get("/jobs/<job_id>")
    def job(job_id):
        with Session(engine) as s:
            j = s.get(Job, job_id)
            return job_page.render(j=j)

    return app


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _time(client, path: str, **kw) -> float:
    started = time.perf_counter()
    r = client.get(path, **kw)
    took = time.perf_counter() - started
    if r.status_code != 200:
        raise SystemExit(f"{path} answered {r.status_code}: {r.get_data(as_text=True)[:300]}")
    return took


def _plan(engine, sql: str) -> str:
    with engine.connect() as c:
        lines = [row[0] for row in c.execute(text("EXPLAIN " + sql))]
    return " / ".join(line.strip() for line in lines[:3])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300, help="timed requests per page and app")
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    ap.add_argument("--without-indexes", action="store_true",
                    help="drop the list indexes of migration 0009 first (to see what they are for)")
    args = ap.parse_args(argv)
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("set TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)", file=sys.stderr)
        return 2

    import structlog

    from handouts.app import create_app
    from handouts.wiring import open_runtime
    from pipeline.settings import load_settings

    url, admin, name = _database(base)
    data = Path(tempfile.mkdtemp(prefix="handouts-bench-web-"))
    try:
        settings = load_settings(HANDOUTS_DATA_DIR=str(data), DATABASE_URL=url, HANDOUTS_LOG_LEVEL="warning")
        rt = open_runtime(settings, stages=())
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
        if args.without_indexes:
            with rt.engine.begin() as c:
                for ix in ("ix_jobs_created", "ix_jobs_tenant_created", "ix_jobs_tenant_status"):
                    c.execute(text(f"DROP INDEX IF EXISTS {ix}"))
        t0 = time.perf_counter()
        _fill(rt.engine, args.jobs)
        full = _one_full_job(rt)
        print(f"{args.jobs} jobs written in {time.perf_counter() - t0:.1f} s; PostgreSQL "
              f"{rt.engine.dialect.server_version_info}")
        print("plan, newest 51:", _plan(rt.engine, "SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT 51"))
        print("plan, one tenant:", _plan(rt.engine, f"SELECT * FROM jobs WHERE tenant = '{TENANTS[0]}' "
                                                    "ORDER BY created_at DESC, id DESC LIMIT 51"))
        print("plan, counts:", _plan(rt.engine, "SELECT status, count(*) FROM jobs GROUP BY status"))
        ours, peer = create_app(runtime=rt).test_client(), peer_app(url).test_client()
        tenant_client = create_app(runtime=rt).test_client()
        with tenant_client.session_transaction() as s:
            s["viewer"] = {"tenant": TENANTS[0], "scope": None, "owner": None}
        cases = [("jobs list (operator, all tenants)", (ours, "/"), (peer, "/")),
                 ("jobs list (one tenant)", (tenant_client, "/"), (peer, f"/?tenant={TENANTS[0]}")),
                 ("job page (6 runs, 10 files)", (ours, f"/jobs/{full}"), (peer, f"/jobs/{full}"))]
        html = {"Accept": "text/html"}
        print(f"\n{args.requests} requests per page and app, interleaved; milliseconds\n")
        print("| page | ours p50 | ours p99 | peer p50 | peer p99 | ratio p50 | ratio p99 |")
        print("|---|---|---|---|---|---|---|")
        for label, (oc, op), (pc, pp) in cases:
            for _ in range(20):  # warm caches, pools and template compilation on both
                _time(oc, op, headers=html), _time(pc, pp)
            mine, theirs = [], []
            for _ in range(args.requests):
                mine.append(_time(oc, op, headers=html))
                theirs.append(_time(pc, pp))
            m50, m99, p50, p99 = (1000 * _pct(mine, 50), 1000 * _pct(mine, 99), 1000 * _pct(theirs, 50),
                                  1000 * _pct(theirs, 99))
            print(f"| {label} | {m50:.2f} | {m99:.2f} | {p50:.2f} | {p99:.2f} | {m50 / p50:.2f} | {m99 / p99:.2f} |")
        rt.close()
    finally:
        if not args.keep:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
