"""The status pages: jobs (filtered, paged), one job (files, stages, progress), and the same as JSON.

Every query starts from `visible_jobs(viewer)`: an operator sees every job, anyone else only their tenant's,
and a job outside the viewer's reach is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from pipeline.errors import InputError
from pipeline.jobs import Viewer, cancel_job, get_visible_job, retry_job, visible_jobs
from pipeline.models import Job, JobStatus
from pipeline.runtime import Runtime
from pipeline.summary import summarize

from .auth import require_operator, require_viewer

bp = Blueprint("pages", __name__)

PAGE_SIZE = 50
_MAX_QUERY = 200


def _rt() -> Runtime:
    return current_app.extensions["handouts"]


def human_size(n: int | None) -> str:
    """1536 -> '1.5 KB': sizes people read at a glance (powers of 1024, one decimal)."""
    if n is None:
        return ""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


@dataclass(frozen=True)
class JobFilter:
    """What the jobs list was asked for: a status, words in the title, and where in the list to start."""

    status: str | None = None
    q: str = ""
    after: str | None = None      # the last job id of the previous page (older jobs follow)
    before: str | None = None     # the first job id of the next page (newer jobs precede)

    @classmethod
    def from_args(cls, args) -> "JobFilter":
        status = (args.get("status") or "").strip() or None
        if status is not None and status not in JobStatus.ALL:
            raise InputError(f"unknown status '{status[:40]}'; choose one of: {', '.join(JobStatus.ALL)}",
                             field="status")
        q = (args.get("q") or "").strip()
        if len(q) > _MAX_QUERY:
            raise InputError(f"the title search is {len(q)} characters long; use at most {_MAX_QUERY}", field="q")
        return cls(status, q, (args.get("after") or None), (args.get("before") or None))

    def args(self, **changes) -> dict[str, str]:
        """Query arguments for a link that keeps this filter (and changes the page)."""
        out = {"status": self.status or "", "q": self.q}
        out.update({k: v for k, v in changes.items() if v})
        return {k: v for k, v in out.items() if v}


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filtered(viewer: Viewer, f: JobFilter):
    """The viewer's jobs matching the filter (not yet ordered or paged)."""
    query = visible_jobs(viewer)
    if f.status:
        query = query.where(Job.status == f.status)
    if f.q:
        pattern = _like(f.q)
        query = query.where(or_(Job.title.ilike(pattern, escape="\\"), Job.source.ilike(pattern, escape="\\")))
    return query


_LISTED = (Job.id, Job.title, Job.source, Job.status, Job.progress, Job.message, Job.created_at)


def page_of_jobs(s: Session, viewer: Viewer, f: JobFilter, size: int = PAGE_SIZE) -> tuple[list, bool, bool]:
    """One page of rows (the listed columns only), newest first, keyed on (created_at, id) so a deep page costs
    what the first does. Returns the rows, whether older ones follow and whether newer ones precede.
    """
    query = filtered(viewer, f).with_only_columns(*_LISTED)
    anchor_id = f.after or f.before
    anchor = None
    if anchor_id:
        anchor = s.execute(select(Job.created_at, Job.id).where(Job.id == anchor_id)).first()
    key = tuple_(Job.created_at, Job.id)
    if anchor is not None and f.before:
        rows = list(s.execute(query.where(key > tuple_(anchor[0], anchor[1]))
                              .order_by(Job.created_at.asc(), Job.id.asc()).limit(size + 1)))
        newer = len(rows) > size
        return list(reversed(rows[:size])), True, newer
    if anchor is not None:
        query = query.where(key < tuple_(anchor[0], anchor[1]))
    rows = list(s.execute(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(size + 1)))
    return rows[:size], len(rows) > size, anchor is not None


def status_counts(s: Session, viewer: Viewer) -> dict[str, int]:
    q = visible_jobs(viewer).with_only_columns(Job.status, func.count()).group_by(Job.status)
    return {status: n for status, n in s.execute(q).all()}


def _fmt_time(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M}" if t else ""


@bp.app_template_filter("size")
def _size_filter(n):
    return human_size(n)


@bp.app_template_filter("when")
def _when_filter(t):
    return _fmt_time(t)


@bp.get("/")
def jobs():
    viewer = require_viewer()
    f = JobFilter.from_args(request.args)
    with _rt().sessions() as s:
        rows, older, newer = page_of_jobs(s, viewer, f)
        counts = status_counts(s, viewer)
    # one link prefix for all rows: building fifty URLs through the router costs more than the queries
    prefix = url_for("pages.job_page", job_id="-")[:-1]
    listed = [{"id": j.id, "href": prefix + quote(j.id, safe=""), "title": j.title or j.source[-60:],
               "status": j.status, "progress": round(j.progress or 0), "message": j.message or "",
               "created_at": j.created_at, "created": _fmt_time(j.created_at)} for j in rows]
    return render_template("web/jobs.html", jobs=listed, counts=counts, filter=f, statuses=JobStatus.ALL,
                           older=f.args(after=listed[-1]["id"]) if older and listed else None,
                           newer=f.args(before=listed[0]["id"]) if newer and listed else None,
                           viewer=viewer)


def _job_view(s: Session, viewer: Viewer, job_id: str) -> dict:
    job = get_visible_job(s, viewer, job_id)
    summary = summarize(job)
    runs = [{"stage": r.stage, "attempt": r.attempt, "status": r.status, "seconds": r.seconds or 0.0,
             "error": (r.error or {}).get("message", "")} for r in job.stage_runs]
    files = [a for a in summary.artifacts if not (a.kind and (a.kind == "slide" or a.kind.is_input))]
    return {"summary": summary, "runs": runs, "files": files, "source": job.source,
            "terminal": job.is_terminal, "can_cancel": not job.is_terminal,
            "can_retry": job.status in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DEAD)
            or (job.status == JobStatus.COMPLETED_WITH_WARNINGS and bool(summary.missing))}


@bp.get("/jobs/<job_id>")
def job_page(job_id: str):
    viewer = require_viewer()
    with _rt().sessions() as s:
        view = _job_view(s, viewer, job_id)
    return render_template("web/job.html", viewer=viewer, notice=request.args.get("done"), **view)


@bp.get("/api/jobs/<job_id>")
def job_json(job_id: str):
    viewer = require_viewer()
    with _rt().sessions() as s:
        j = get_visible_job(s, viewer, job_id)
        return jsonify(id=j.id, status=j.status, stage=j.stage, progress=j.progress, message=j.message,
                       error=j.error, warnings=j.warnings, title=j.title, terminal=j.is_terminal,
                       files=[{"name": a.name, "kind": a.kind, "size": a.size} for a in j.artifacts])


_NOTICES = {"cancelled": "Cancel requested.", "retried": "Queued again."}


@bp.post("/jobs/<job_id>/cancel")
def cancel(job_id: str):
    viewer = require_operator()
    rt = _rt()
    with rt.transaction() as s:
        get_visible_job(s, viewer, job_id)
        cancel_job(s, job_id)
    return redirect(url_for("pages.job_page", job_id=job_id, done="cancelled"), code=303)


@bp.post("/jobs/<job_id>/retry")
def retry(job_id: str):
    viewer = require_operator()
    rt = _rt()
    with rt.transaction() as s:
        get_visible_job(s, viewer, job_id)
        retry_job(s, rt.enqueue, job_id)
    return redirect(url_for("pages.job_page", job_id=job_id, done="retried"), code=303)


@bp.app_context_processor
def _notices():
    return {"notices": _NOTICES}

