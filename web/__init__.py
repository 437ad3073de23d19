"""The operator web adapter: health, a status page, job pages and file downloads.

The composition root (handouts.app) mounts it beside the Slack and LTI adapters.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path

import hmac
import ipaddress

from flask import Flask, Response, abort, jsonify, request, send_file, session
from sqlalchemy import func, select, text

from pipeline.errors import HandoutsError, InputError, JobNotFound
from pipeline.jobs import get_job, list_jobs
from pipeline.models import Job
from pipeline.runtime import Runtime

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}}
table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd}}
.bar{{background:#e5e7eb;border-radius:4px;height:.6rem;width:8rem}}.bar>span{{display:block;height:100%;
background:#2563eb;border-radius:4px}}.failed{{color:#b91c1c}}.warn{{color:#92400e}}code{{font-size:90%}}</style>
</head><body><main>{body}</main></body></html>"""


def _page(title: str, body: str) -> Response:
    return Response(_PAGE.format(title=html.escape(title), body=body), mimetype="text/html")


def init_app(app: Flask, rt: Runtime) -> None:
    """Register the operator routes over one Runtime."""

    @app.before_request
    def _operators_only():
        # The status pages list every job and serve its files: loopback may see them (the embedded default);
        # anyone else needs HANDOUTS_ADMIN_TOKEN. Health and Slack's own signed endpoint stay open.
        if request.path in ("/healthz", "/readyz") or request.path.startswith(("/slack/", "/panopto/")):
            return None
        token = rt.settings.admin_token.get_secret_value() if rt.settings.admin_token else None
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or \
            request.args.get("token", "")
        if token and offered and hmac.compare_digest(offered, token):
            session["operator"] = True
            return None
        if token and session.get("operator"):
            return None
        try:
            local = ipaddress.ip_address(request.remote_addr or "").is_loopback
        except ValueError:
            local = False
        if local and not token:
            return None
        message = ("sign in with ?token=<HANDOUTS_ADMIN_TOKEN> or an Authorization: Bearer header" if token else
                   "the status pages answer only on this machine; set HANDOUTS_ADMIN_TOKEN to reach them from "
                   "elsewhere")
        return jsonify(error="forbidden", message=message), 403

    @app.errorhandler(HandoutsError)
    def _domain_error(e: HandoutsError):
        status = 404 if isinstance(e, JobNotFound) else 400 if isinstance(e, InputError) else 500
        return jsonify(error=e.code, message=e.message), status

    @app.get("/healthz")
    def healthz():
        checks = {}
        try:
            with rt.engine.connect() as c:
                c.execute(text("select 1"))
            checks["database"] = "ok"
        except Exception as e:  # health checks report, they never raise
            checks["database"] = f"error: {type(e).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return jsonify(status="ok" if ok else "degraded", checks=checks), 200 if ok else 503

    @app.get("/")
    def index():
        with rt.sessions() as s:
            jobs = list_jobs(s, limit=50)
            counts = dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        rows = "".join(
            f"<tr><td><a href='/jobs/{j.id}'>{html.escape(j.title or j.source[-60:])}</a></td>"
            f"<td class='{'failed' if j.status == 'failed' else ''}'>{j.status}</td>"
            f"<td><div class='bar' role='progressbar' aria-valuenow='{j.progress:.0f}' aria-valuemin='0' "
            f"aria-valuemax='100'><span style='width:{j.progress:.0f}%'></span></div></td>"
            f"<td>{html.escape(j.message or '')}</td><td>{j.created_at:%Y-%m-%d %H:%M}</td></tr>" for j in jobs)
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no jobs yet"
        body = (f"<h1>Handouts</h1><p>{summary}</p><table><thead><tr><th>Lecture</th><th>Status</th>"
                f"<th>Progress</th><th>Now</th><th>Created</th></tr></thead><tbody>{rows}</tbody></table>")
        return _page("Handouts: status", body)

    @app.get("/jobs/<job_id>")
    def job_page(job_id: str):
        with rt.sessions() as s:
            j = get_job(s, job_id)
            runs = "".join(f"<tr><td>{r.stage}</td><td>{r.attempt}</td><td>{r.status}</td>"
                           f"<td>{(r.seconds or 0):.2f} s</td><td>{html.escape((r.error or {}).get('message', ''))}"
                           f"</td></tr>" for r in j.stage_runs)
            files = "".join(f"<li><a href='/jobs/{j.id}/files/{html.escape(a.name)}'>{html.escape(a.name)}</a> "
                            f"({a.size:,} bytes)</li>" for a in j.artifacts if a.kind != "slide")
            warns = "".join(f"<li class='warn'>{html.escape(w)}</li>" for w in j.warnings or [])
            err = f"<p class='failed'>{html.escape((j.error or {}).get('message', ''))}</p>" if j.error else ""
            body = (f"<h1>{html.escape(j.title or 'Lecture')}</h1><p>Status: <strong>{j.status}</strong> "
                    f"({j.progress:.0f}%): {html.escape(j.message or '')}</p>{err}"
                    f"<p>Source: <code>{html.escape(j.source)}</code></p>"
                    f"<h2>Files</h2><ul>{files or '<li>none yet</li>'}</ul>"
                    + (f"<h2>Notes</h2><ul>{warns}</ul>" if warns else "")
                    + f"<h2>Stages</h2><table><thead><tr><th>Stage</th><th>Attempt</th><th>Status</th>"
                    f"<th>Time</th><th>Error</th></tr></thead><tbody>{runs}</tbody></table>"
                    "<p><a href='/'>All jobs</a></p>")
        return _page(f"Handouts: {j.title or j.id}", body)

    @app.get("/api/jobs/<job_id>")
    def job_json(job_id: str):
        with rt.sessions() as s:
            j = get_job(s, job_id)
            return jsonify(id=j.id, status=j.status, stage=j.stage, progress=j.progress, message=j.message,
                           error=j.error, warnings=j.warnings, title=j.title,
                           files=[{"name": a.name, "kind": a.kind, "size": a.size} for a in j.artifacts])

    @app.get("/jobs/<job_id>/files/<name>")
    def job_file(job_id: str, name: str):
        with rt.sessions() as s:
            j = get_job(s, job_id)
            art = next((a for a in j.artifacts if a.name == name), None)
            if art is None:
                abort(404)
            key, ctype = art.storage_key, art.content_type
        local_path = getattr(rt.storage, "path", None)
        if local_path is not None:
            return send_file(local_path(key), mimetype=ctype, download_name=name)
        folder = Path(tempfile.mkdtemp(prefix="handouts-dl-"))
        try:
            # the open handle keeps the bytes readable after the file is gone, so nothing piles up on disk
            handle = open(rt.storage.get_file(key, folder / name), "rb")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return send_file(handle, mimetype=ctype, download_name=name)
