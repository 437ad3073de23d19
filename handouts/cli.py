"""`handouts`: the one command line entry point (make, demo, serve, worker, doctor, db, status)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from pipeline.db import error_name, unreachable
from pipeline.errors import HandoutsError, InputError
from pipeline.sources.netguard import check_link_form, display_source

EXIT_FAILED, EXIT_CONFIG, EXIT_TEMPFAIL, EXIT_CANCELLED, EXIT_PIPE = 1, 2, 75, 130, 141


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"handouts: {message}", file=sys.stderr)
    return code


def _runtime(args, *, immediate: bool = False):
    from pipeline.logs import configure_logging
    from pipeline.settings import load_settings_or_exit

    from .wiring import open_runtime

    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["HANDOUTS_DATA_DIR"] = args.data_dir
    settings = load_settings_or_exit(**overrides)
    if getattr(args, "quiet_logs", False) and settings.log_level == "info" and not args.verbose:
        settings = settings.model_copy(update={"log_level": "error"})
    configure_logging(settings)
    return open_runtime(settings, immediate=immediate)


def _sessions(settings):
    """Sessions on the configured database, its schema brought up to date when HANDOUTS_AUTO_MIGRATE is on."""
    from pipeline import db

    from .schema import upgrade

    engine = db.make_engine(settings.db_url)
    if settings.auto_migrate:
        upgrade(engine)
    return db.make_sessionmaker(engine)


def _progress_bar(rt):
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", bar_format="{desc:<28}{bar}| {n:.0f}% [{elapsed}]", disable=None,
               file=sys.stderr)

    def on_progress(_job_id: str, stage: str, percent: float, message: str) -> None:
        bar.set_description_str(f"{stage}: {message}"[:28], refresh=False)
        bar.n = percent
        bar.refresh()

    rt.listeners.append(on_progress)
    return bar


FILES_MANIFEST = "handouts-files.json"


def _previous_run(out: Path, keep: set[Path], force: bool) -> list[str]:
    """Files an earlier run wrote into `out` (to be replaced); refuses a folder of other files without --force."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise InputError(f"-o {out}: this is a file, not a folder; give a folder for the results")
    manifest = out / FILES_MANIFEST
    if manifest.is_file():
        try:
            return [f["name"] for f in json.loads(manifest.read_text(encoding="utf-8"))["files"]]
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{manifest} is not a Handouts file list; remove it or choose another -o folder")
    # the recording itself and its sidecar captions (lecture.mp4, lecture.srt, lecture.en.vtt) may sit there
    stems = {k.stem + "." for k in keep}
    foreign = sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and p.resolve() not in keep
                     and not any(p.name.startswith(stem) for stem in stems))
    if foreign and not force:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InputError(f"-o {out}: the folder already holds files Handouts did not write ({shown}); choose an "
                         "empty or new folder, or pass --force to write beside them")
    return []


def _export(rt, job, out: Path, previous: list[str]) -> None:
    """Copy a finished job's artifacts (not its inputs) into `out`, replacing what the previous run wrote there."""
    from pipeline.artifacts import ArtifactKind

    out.mkdir(parents=True, exist_ok=True)
    names = {a.name for a in job.artifacts if a.kind != ArtifactKind.CAPTIONS_INPUT}
    for name in previous:
        old = out / Path(name).name
        if name not in names and old.is_file():
            old.unlink()
    files = []
    for a in job.artifacts:
        if a.kind != ArtifactKind.CAPTIONS_INPUT:
            rt.storage.get_file(a.storage_key, out / a.name)
            files.append({"name": a.name, "kind": a.kind, "size": a.size, "sha256": a.sha256})
    listing = {"job": job.id, "title": job.title, "source": job.source, "files": files}
    (out / FILES_MANIFEST).write_text(json.dumps(listing, ensure_ascii=False, indent=1), encoding="utf-8")


def cmd_make(args) -> int:
    """Run the whole pipeline on one source, inline, and write the artifacts into a folder."""
    from pipeline.jobs import submit_job
    from pipeline.models import Job, JobStatus
    from pipeline.storage import sha256_file

    source = args.source
    if "://" not in source and not source.startswith("storage:"):
        source = str(Path(source).expanduser().resolve()) if Path(source).expanduser().exists() else source
    options: dict = {}
    if args.title:
        options["title"] = args.title
    if args.paper:
        options["paper"] = args.paper
    if getattr(args, "layout", None):
        options["layout"] = args.layout
    if getattr(args, "no_ai", False):
        options["no_ai"] = True
    if getattr(args, "profile", None):
        options["profile"] = args.profile
    out = Path(args.output).expanduser()
    keep = {Path(source).resolve()} if "://" not in source else set()
    if args.captions:
        keep.add(Path(args.captions).expanduser().resolve())
    previous = _previous_run(out, keep, bool(getattr(args, "force", False)))
    rt = _runtime(args, immediate=True)
    if "profile" in options:
        rt.ai.profile(options["profile"], "local")  # an unknown profile stops here, before any download
    if args.captions:
        cap = Path(args.captions).expanduser()
        if not cap.is_file():
            return _fail(f"--captions: no file at {cap}; give the path of an .srt or .vtt file")
        key = f"t/local/uploads/{sha256_file(cap)}{cap.suffix.lower() or '.srt'}"
        rt.storage.put_file(key, cap, "text/plain")
        options["captions_key"] = key
    bar = _progress_bar(rt)
    try:
        with rt.transaction() as s:
            job_id = submit_job(s, rt.enqueue, source=source, origin="cli", options=options, seal=rt.seal).id
    except HandoutsError as e:
        bar.close()
        return _fail(e.message)
    bar.close()
    with rt.sessions() as s:
        job = s.get(Job, job_id)
        _ = job.artifacts
        if job.status == JobStatus.FAILED:
            stage = (job.error or {}).get("stage", job.stage)
            return _fail(f"failed at {stage}: {(job.error or {}).get('message', job.message)}")
        if job.status == JobStatus.CANCELLED:
            return _fail(job.message, EXIT_CANCELLED)
        if job.status not in JobStatus.TERMINAL:
            return _fail(f"job {job_id} stopped in state {job.status}: {job.message}")
        _export(rt, job, out, previous)
        slides = [a for a in job.artifacts if a.kind == "slide"]
        print(f"{job.title or 'Handout'}: {len(slides)} slides → {out}/")
        for a in job.artifacts:
            if a.kind not in ("slide", "captions_input"):
                print(f"  {a.name}")
        for w in job.warnings or []:
            print(f"  note: {w}")
    return 0


def cmd_demo(args) -> int:
    """Make a short synthetic lecture (slides and a transcript) and run it through the pipeline."""
    from pipeline.synth import demo_spec, make_lecture

    work = Path(args.output).expanduser()
    work.mkdir(parents=True, exist_ok=True)
    video = work / "biology-101_week-3.mp4"
    print(f"making a two-minute demo lecture on enzymes: {video}", file=sys.stderr)
    make_lecture(video, demo_spec())
    args.source = str(video)
    args.captions = None
    return cmd_make(args)


def cmd_serve(args) -> int:
    """Start the web app, and a worker in the same process on the embedded default."""
    from pipeline.worker import Worker

    from .app import create_app

    rt = _runtime(args)
    app = create_app(runtime=rt)
    worker = None
    if not rt.settings.redis_url and not args.no_worker:
        worker = Worker(rt).start()

    def _stop(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Huey's consumer takes over SIGINT/SIGTERM when it starts; here the web server owns the process.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    port = args.port or rt.settings.port
    host = args.host or rt.settings.host
    from web.auth import BIND_HOST, is_loopback

    app.config[BIND_HOST] = host
    if rt.settings.admin_token is None and not is_loopback(host):
        print(f"note: listening on {host} with no HANDOUTS_ADMIN_TOKEN: the status pages stay closed (403); set "
              "HANDOUTS_ADMIN_TOKEN to open them with a token", file=sys.stderr)
    print(f"Handouts on http://{host}:{port}/" + (" with an in-process worker" if worker else ""),
          file=sys.stderr)
    try:
        from waitress import serve

        serve(app, host=host, port=port, threads=8, ident="handouts")
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        if worker is not None:
            worker.stop()  # running stages get the grace period, then go back to the queue
        rt.close()  # adapters finish what they acknowledged (a Slack command's job is created, not dropped)
    return 0


def cmd_worker(args) -> int:
    """Run a queue consumer in the foreground until interrupted."""
    from pipeline.worker import Worker

    rt = _runtime(args)
    return Worker(rt, args.workers).run()


def cmd_doctor(args) -> int:
    """Print the effective configuration (secrets masked) and check every service answers."""
    from pipeline.doctor import run_doctor
    from pipeline.settings import load_settings_or_exit

    return run_doctor(load_settings_or_exit())


def cmd_db(args) -> int:
    """Bring the database schema up to date."""
    from pipeline import db
    from pipeline.settings import load_settings_or_exit

    from .schema import upgrade

    settings = load_settings_or_exit()
    engine = db.make_engine(settings.db_url)
    upgrade(engine)
    print(f"database at revision {db.schema_revision(engine)}")
    return 0


def cmd_retry(args) -> int:
    """Run a failed job again from where it stopped, or produce what a finished job is missing."""
    from pipeline.jobs import retry_job
    from pipeline.models import Job

    rt = _runtime(args, immediate=True)
    bar = _progress_bar(rt)
    with rt.transaction() as s:
        retry_job(s, rt.enqueue, args.job)
    bar.close()
    with rt.sessions() as s:
        job = s.get(Job, args.job)
        print(f"{job.id}  {job.status}  {job.message}")
        return 0 if job.status.startswith("completed") else EXIT_FAILED


def cmd_ai(args) -> int:
    """AI cache and cost ledger."""
    from pipeline.ai.admin import clear_cache, print_costs
    from pipeline.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    sessions = _sessions(settings)
    if args.ai_command == "costs":
        print_costs(settings, sessions, days=args.days)
    else:
        n = clear_cache(settings, sessions, prompt=args.prompt)
        print(f"removed {n} cached answer(s)" + (f" of prompt '{args.prompt}'" if args.prompt else ""))
    return 0


def cmd_profiles(args) -> int:
    """List, set or remove a tenant's setting profiles."""
    from pipeline import db
    from pipeline.ai.profile_admin import delete_profile, list_profiles, set_profile
    from pipeline.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    with db.transaction(_sessions(settings)) as s:
        if args.profiles_command == "list":
            for name, origin, p in list_profiles(s, args.tenant):
                overrides = f"; prompts: {', '.join(sorted(p.prompts))}" if p.prompts else ""
                print(f"{name:<16} {origin:<27} {p.vignette_style:<9} {' | '.join(p.study_columns)}{overrides}")
        elif args.profiles_command == "set":
            prompts = {}
            for item in args.prompt or []:
                task, sep, path = item.partition("=")
                if not sep:
                    raise InputError(f"--prompt '{item}': expected TASK=FILE, e.g. study_table=my-table.txt")
                prompts[task] = Path(path)
            columns = [c.strip() for c in args.columns.split("|")] if args.columns else None
            p = set_profile(s, args.tenant, args.name, base=args.base, columns=columns,
                            vignette_style=args.vignette_style, prompt_files=prompts)
            print(f"profile '{p.name}' of tenant '{args.tenant}': {' | '.join(p.study_columns)} "
                  f"({p.vignette_style} vignettes)")
        else:
            delete_profile(s, args.tenant, args.name)
            print(f"removed profile '{args.name}' of tenant '{args.tenant}'")
    return 0


def cmd_status(args) -> int:
    """Show one job, or the newest jobs."""
    from pipeline.jobs import get_job, list_jobs

    rt = _runtime(args)
    with rt.sessions() as s:
        if args.job:
            j = get_job(s, args.job)
            print(f"{j.id}  {j.status}  {j.progress:.0f}%  {j.message}")
            for r in j.stage_runs:
                print(f"  {r.stage:<9} attempt {r.attempt}  {r.status:<9} {r.seconds or 0:.2f}s"
                      + (f"  {r.error.get('message')}" if r.error else ""))
            for a in j.artifacts:
                print(f"  file {a.name} ({a.size} bytes)")
            for w in j.warnings or []:
                print(f"  warning: {w}")
        else:
            for j in list_jobs(s, limit=args.limit):
                print(f"{j.id}  {j.created_at:%Y-%m-%d %H:%M}  {j.status:<24} {j.progress:>5.0f}%  "
                      f"{display_source(j.source)}")
    return 0


def _job_facts(j) -> dict:
    return {"id": j.id, "status": j.status, "stage": j.stage, "progress": j.progress, "message": j.message,
            "title": j.title, "source": display_source(j.source), "tenant": j.tenant, "scope": j.scope,
            "owner": j.owner, "origin": j.origin, "created_at": j.created_at.isoformat(),
            "finished_at": j.finished_at.isoformat() if j.finished_at else None, "warnings": list(j.warnings or []),
            "error": j.error,
            "runs": [{"stage": r.stage, "attempt": r.attempt, "status": r.status, "worker": r.worker,
                      "seconds": r.seconds, "lease_expires_at": r.lease_expires_at.isoformat()
                      if r.lease_expires_at else None, "error": (r.error or {}).get("message")}
                     for r in j.stage_runs],
            "files": [{"name": a.name, "kind": a.kind, "size": a.size} for a in j.artifacts]}


def cmd_jobs(args) -> int:
    """Operators' view of jobs: list (all, stale or dead ones), show one, cancel one."""
    from sqlalchemy import select

    from pipeline.jobs import cancel_job, get_job, live_run
    from pipeline.models import Job, JobStatus, RunStatus

    rt = _runtime(args)
    with rt.transaction() as s:
        if args.jobs_command == "show":
            j = get_job(s, args.job)
            facts = _job_facts(j)
            if args.json:
                print(json.dumps(facts, indent=1, ensure_ascii=False))
            else:
                print(f"{j.id}  {j.status}  {j.progress:.0f}%  {j.message}")
                for r in facts["runs"]:
                    print(f"  {r['stage']:<9} attempt {r['attempt']}  {r['status']:<10} {r['seconds'] or 0:.2f}s  "
                          f"{r['worker'] or ''}" + (f"  {r['error']}" if r["error"] else ""))
                for w in facts["warnings"]:
                    print(f"  warning: {w}")
            return 0
        if args.jobs_command == "cancel":
            j = cancel_job(s, args.job)
            print(f"{j.id}  {j.status}  {j.message if j.is_terminal else 'cancelling at its next check'}")
            return 0
        q = select(Job).order_by(Job.created_at.desc()).limit(args.limit)
        if args.dead:
            q = q.where(Job.status == JobStatus.DEAD)
        if args.stale:
            q = q.where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        rows = list(s.scalars(q))
        if args.stale:  # not moving: no live worker holds them
            rows = [j for j in rows if live_run(j) is None]
        for j in rows:
            lapsed = [r for r in j.stage_runs if r.status == RunStatus.RUNNING]
            note = f"  (lease of {lapsed[0].stage} lapsed)" if lapsed and args.stale else ""
            print(f"{j.id}  {j.created_at:%Y-%m-%d %H:%M}  {j.status:<24} {j.progress:>5.0f}%  "
                  f"{display_source(j.source)}{note}")
    return 0


def cmd_submit(args) -> int:
    """Queue jobs for workers without waiting (a semester's batch); prints their ids."""
    from pipeline.jobs import submit_job

    rt = _runtime(args)
    options = {k: v for k, v in (("title", args.title), ("paper", args.paper), ("profile", args.profile)) if v}
    if args.no_ai:
        options["no_ai"] = True
    if "profile" in options:
        rt.ai.profile(options["profile"], "local")
    sources = []
    for source in args.sources:  # every source is checked before any is queued: all of them or none
        if not source.strip():
            return _fail("an empty SOURCE was given; give a video file, an http(s) URL or an HLS playlist")
        if "://" in source:
            scheme = source.split("://", 1)[0].lower()
            if scheme not in ("http", "https", "file"):
                return _fail(f"{display_source(source)}: {scheme}:// links are not supported; give a video file, "
                             "an http(s) URL or an HLS playlist")
            check_link_form(source)
        elif not source.startswith("storage:"):
            path = Path(source).expanduser()
            if not path.is_file():
                return _fail(f"{source}: no such file; give a video file, an http(s) URL or an HLS playlist")
            source = str(path.resolve())
        sources.append(source)
    with rt.transaction() as s:
        ids = [submit_job(s, rt.enqueue, source=source, options=dict(options), seal=rt.seal).id
               for source in sources]
    if args.json:
        print(json.dumps({"jobs": ids}))
    else:
        for job_id, source in zip(ids, args.sources):
            print(f"{job_id}  {display_source(source)}")
    return 0


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is too small; give 1 or more")
    return n


def cmd_lti(args) -> int:
    """LTI 1.3 registrations, deployments, keys and the settings to paste into an LMS."""
    from lti.admin import run_lti
    from pipeline.logs import configure_logging
    from pipeline.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    configure_logging(settings if args.verbose else settings.model_copy(update={"log_level": "error"}))
    if args.lti_command == "config":
        return run_lti(args, settings, None)
    return run_lti(args, settings, _sessions(settings))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="handouts", description="Turn lecture recordings into study handouts.")
    p.add_argument("--data-dir", help="folder for the embedded store, queue and files (HANDOUTS_DATA_DIR)")
    p.add_argument("-v", "--verbose", action="store_true", help="show info logs")
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("make", help="make handouts from a video file, URL or HLS playlist")
    m.add_argument("source", help="a video file, an http(s) URL of a video, or an HLS (.m3u8) playlist")
    m.add_argument("-o", "--output", default="handouts-out", help="folder for the results (default: handouts-out)")
    m.add_argument("--captions", help="an .srt or .vtt file to use as the transcript")
    m.add_argument("--title", help="the lecture's title; without it: the recording's session name when known, "
                                   "else the title on the slides, else one the AI gives, else the file name")
    m.add_argument("--paper", choices=("letter", "a4"), help="page size of the PDFs")
    m.add_argument("--layout", choices=("16up", "6up", "4up", "notes"),
                   help="make only this handout layout (default: both 16up and notes)")
    m.add_argument("--profile", help="setting profile for the study materials (default, medical-step1, or yours)")
    m.add_argument("--no-ai", action="store_true", help="only the handouts, no study materials")
    m.add_argument("--force", action="store_true",
                   help="write into a folder that holds other files (a previous run's files are always replaced)")
    m.set_defaults(fn=cmd_make, quiet_logs=True)

    d = sub.add_parser("demo", help="make a short synthetic lecture and its handouts")
    d.add_argument("-o", "--output", default="handout-demo", help="folder for the results (default: handout-demo)")
    d.add_argument("--title", help=argparse.SUPPRESS)
    d.add_argument("--paper", choices=("letter", "a4"), help="page size of the PDFs")
    d.add_argument("--layout", choices=("16up", "6up", "4up", "notes"), help="make only this handout layout")
    d.add_argument("--profile", help="setting profile for the study materials")
    d.add_argument("--no-ai", action="store_true", help="only the handouts, no study materials")
    d.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
    d.set_defaults(fn=cmd_demo, quiet_logs=True)

    s = sub.add_parser("serve", help="run the web app (and a worker, on the embedded default)")
    s.add_argument("--port", type=int, help="port (default: PORT or 8000)")
    s.add_argument("--host", help="address to bind (default: HANDOUTS_HOST or 127.0.0.1)")
    s.add_argument("--no-worker", action="store_true", help="do not run a worker in this process")
    s.set_defaults(fn=cmd_serve)

    w = sub.add_parser("worker", help="run a queue worker")
    w.add_argument("--workers", type=int, help="threads (default: HANDOUTS_WORKERS)")
    w.set_defaults(fn=cmd_worker)

    sub.add_parser("doctor", help="print the configuration and check services").set_defaults(fn=cmd_doctor)

    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=("upgrade",))
    db.set_defaults(fn=cmd_db)

    r = sub.add_parser("retry", help="run a job again: from where it failed, or for what it is missing")
    r.add_argument("job")
    r.set_defaults(fn=cmd_retry, quiet_logs=True)

    ai = sub.add_parser("ai", help="AI cache and costs")
    ai_sub = ai.add_subparsers(dest="ai_command", required=True)
    costs = ai_sub.add_parser("costs", help="summary of AI calls per day, tenant and model")
    costs.add_argument("--days", type=int, default=30)
    cache = ai_sub.add_parser("cache", help="the AI answer cache")
    cache.add_argument("action", choices=("clear",))
    cache.add_argument("--prompt", help="only answers of this prompt (e.g. study_table)")
    ai.set_defaults(fn=cmd_ai)

    pr = sub.add_parser("profiles", help="setting profiles of a tenant (study table columns, vignettes, prompts)")
    pr_sub = pr.add_subparsers(dest="profiles_command", required=True)
    for verb, text in (("list", "bundled and tenant profiles"), ("set", "create or change a profile"),
                       ("delete", "remove a tenant's profile")):
        v = pr_sub.add_parser(verb, help=text)
        v.add_argument("--tenant", default="local", help="tenant (Slack: slack-<team id>; default local)")
        if verb != "list":
            v.add_argument("name")
        if verb == "set":
            v.add_argument("--base", help="start from a bundled profile (default, medical-step1)")
            v.add_argument("--columns", help='study table columns separated by "|"')
            v.add_argument("--vignette-style", choices=("applied", "clinical"))
            v.add_argument("--prompt", action="append", metavar="TASK=FILE",
                           help="override a prompt (clean_captions, title, key_points, study_table, vignettes, mindmap)")
    pr.set_defaults(fn=cmd_profiles)

    jb = sub.add_parser("jobs", help="operators: list stale or dead jobs, show or cancel one")
    jb_sub = jb.add_subparsers(dest="jobs_command", required=True)
    jl = jb_sub.add_parser("list", help="the newest jobs")
    which = jl.add_mutually_exclusive_group()
    which.add_argument("--stale", action="store_true", help="only queued or running jobs no live worker holds")
    which.add_argument("--dead", action="store_true", help="only dead-lettered jobs")
    jl.add_argument("--limit", type=_positive, default=50, help="at most this many (newest first; default 50)")
    js = jb_sub.add_parser("show", help="one job with its stage runs, workers and leases")
    js.add_argument("job")
    js.add_argument("--json", action="store_true")
    jc = jb_sub.add_parser("cancel", help="stop a job, whatever state it is in")
    jc.add_argument("job")
    jb.set_defaults(fn=cmd_jobs, quiet_logs=True)

    sb = sub.add_parser("submit", help="queue jobs for the workers and print their ids (no waiting)")
    sb.add_argument("sources", nargs="+", metavar="SOURCE")
    sb.add_argument("--title")
    sb.add_argument("--paper", choices=("letter", "a4"))
    sb.add_argument("--profile")
    sb.add_argument("--no-ai", action="store_true")
    sb.add_argument("--json", action="store_true", help="print {\"jobs\": [ids]}")
    sb.set_defaults(fn=cmd_submit, quiet_logs=True)

    st = sub.add_parser("status", help="show a job, or the newest jobs")
    st.add_argument("job", nargs="?")
    st.add_argument("--limit", type=_positive, default=20)
    st.set_defaults(fn=cmd_status, quiet_logs=True)

    from .panopto_cli import add_panopto_parser

    pa_sub = add_panopto_parser(sub)
    pl = pa_sub.add_parser("login", help="link your Panopto account (asks for the password; stores only tokens)")
    pl.add_argument("--username", help="your Panopto user name (asked when left out)")
    pl.add_argument("--host", help="the Panopto server, when several are set up")
    pl.set_defaults(fn=cmd_panopto, quiet_logs=True)
    pa_sub.add_parser("logout", help="unlink your Panopto account and revoke it at Panopto").set_defaults(
        fn=cmd_panopto, quiet_logs=True)
    pa_sub.add_parser("status", help="whether your Panopto account is linked").set_defaults(
        fn=cmd_panopto, quiet_logs=True)
    from lti.admin import add_lti_parser

    add_lti_parser(sub, cmd_lti)
    return p


def cmd_panopto(args) -> int:
    """Link the local CLI user's Panopto account (password grant), unlink it, or show it."""
    import getpass

    from pipeline.panopto.oauth import server_host
    from pipeline.settings import load_settings_or_exit

    from .wiring import panopto_accounts

    settings = load_settings_or_exit()
    accounts = panopto_accounts(settings, _sessions(settings))
    tenant, user = "local", "local"
    if args.panopto_command == "logout":
        removed = accounts.disconnect(tenant=tenant, user=user)
        for host, revoked in removed:
            print(f"unlinked your Panopto account on {host}"
                  + ("; Panopto revoked the access" if revoked else "; Panopto could not be reached to revoke it "
                     "(remove it under User Settings → API Clients in Panopto)"))
        if not removed:
            print("no Panopto account was linked")
        return 0
    servers = accounts.servers_of(tenant)
    if args.panopto_command == "status":
        for st in accounts.statuses(tenant, user):
            print(f"{st.server_host}: " + (f"linked as {st.linked.panopto_user or 'you'} since "
                                           f"{st.linked.linked_at:%Y-%m-%d %H:%M}" if st.linked else "not linked"))
        if not servers:
            print("no Panopto server is set up (handouts panopto add-server)")
        return 0
    if args.host:
        server = accounts.server(tenant, args.host)
        if server is None:
            raise InputError(f"--host {args.host}: not a Panopto server set up here (known: "
                             f"{', '.join(server_host(s) for s in servers) or 'none'})")
    elif len(servers) == 1:
        server = servers[0]
    elif not servers:
        raise InputError("no Panopto server is set up for the command line (tenant 'local'): add one with "
                         "handouts panopto add-server, or set PANOPTO_HOST")
    else:
        raise InputError(f"several Panopto servers are set up; pick one with --host "
                         f"({', '.join(server_host(s) for s in servers)})")
    username = args.username or input(f"Panopto user name on {server_host(server)}: ").strip()
    password = getpass.getpass(f"Panopto password for {username}: ")
    accounts.login(tenant=tenant, user=user, server=server, username=username, password=password)
    print(f"linked your Panopto account {username} on {server_host(server)}; the password was not stored")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `handouts` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except HandoutsError as e:
        return _fail(e.message, EXIT_CONFIG if e.code == "config" else EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_CANCELLED)
    except DBAPIError as e:
        if not unreachable(e):
            raise
        return _fail(f"the database is unavailable ({error_name(e)}); try again in a minute", EXIT_TEMPFAIL)
    except BrokenPipeError:
        # the reader (`| head`) has gone: stop quietly, and keep Python's own flush at exit from complaining
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE


if __name__ == "__main__":
    sys.exit(main())
