"""The LTI routes: login, launch, JWKS, the instructor and student pages, deep linking, signed downloads.

Every page after the launch is reached through its launch ticket (in the path), so nothing depends on a cookie
inside the LMS iframe; each POST also carries the launch's own CSRF token.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import (Blueprint, Response, current_app, jsonify, redirect, render_template, request,
                   stream_with_context, url_for)
from sqlalchemy import func, or_, select
from werkzeug.exceptions import RequestEntityTooLarge

from pipeline.addresses import LtiAddress, Origin, lti_scope, lti_tenant
from pipeline.errors import HandoutsError, InputError, JobNotFound
from pipeline.jobs import Viewer, cancel_job, delete_job, get_visible_job, retry_job, submit_job, visible_jobs
from pipeline.logs import get_logger
from pipeline.models import Artifact, Job, JobStatus
from pipeline.signed import sign_download, verify_download
from pipeline.storage import source_key

from . import roles
from .launch import CLAIM, DL_CLAIM, LaunchRefused, LtiServices, begin_login, digest, load_ticket, validate_launch
from .registry import get_platform
from .tables import LtiLaunch
from .uploads import UploadRefused

bp = Blueprint("lti", __name__, template_folder="templates", static_folder="static", static_url_path="/static")
log = get_logger("handouts.lti")
PAGE_SIZE = 20
STATUS_FILTERS = {"active": (JobStatus.QUEUED, JobStatus.RUNNING),
                  "ready": (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS),
                  "failed": (JobStatus.FAILED, JobStatus.DEAD), "cancelled": (JobStatus.CANCELLED,)}


def _svc() -> LtiServices:
    return current_app.extensions["lti"]


def _rt():
    return current_app.extensions["handouts_runtime"]


@dataclass
class Seat:
    """Who launched, in which course, with which rights: what every page after the launch works from."""

    ticket: str
    launch: LtiLaunch
    access: str | None

    @property
    def claims(self) -> dict:
        return self.launch.claims or {}

    @property
    def scope(self) -> str:
        return lti_scope(self.launch.context_id)

    @property
    def viewer(self) -> Viewer:
        return Viewer(tenant=self.launch.tenant, scope=self.scope)

    @property
    def history_scopes(self) -> list[str]:
        """The course and the courses it was copied from ($Context.id.history, sent as a custom parameter)."""
        hist = str((self.claims.get(CLAIM + "custom") or {}).get("context_id_history") or "")
        ids = [h.strip() for h in hist.split(",") if h.strip() and not h.strip().startswith("$")]
        return [self.scope, *[lti_scope(h) for h in ids]]

    @property
    def roles(self) -> list[str]:
        return list(self.claims.get(CLAIM + "roles") or [])

    @property
    def course(self) -> str:
        ctx = self.claims.get(CLAIM + "context") or {}
        return ctx.get("title") or ctx.get("label") or "this course"

    @property
    def is_deep_link(self) -> bool:
        return self.launch.message_type == "LtiDeepLinkingRequest"


def _seat(ticket: str) -> Seat:
    launch = load_ticket(_svc(), ticket)
    return Seat(ticket, launch, roles.access(launch.claims.get(CLAIM + "roles") or [],
                                             _svc().settings.lti_ta_rights))


def _manager(seat: Seat) -> Seat:
    if seat.access != roles.MANAGE:
        raise LaunchRefused("not_instructor", "Only the course's instructors can request or change handouts.",
                            todo="If you teach this course, ask your LMS administrator to check your role.",
                            status=403, tenant=seat.launch.tenant, roles=seat.roles)
    return seat


def _check_csrf(seat: Seat) -> None:
    offered = request.args.get("csrf") or request.form.get("csrf") or ""
    if not hmac.compare_digest(offered, seat.launch.csrf):
        raise LaunchRefused("bad_csrf", "This form was not sent from the Handouts page of this launch.",
                            todo="Reload the Handouts page and try again.", status=403, tenant=seat.launch.tenant)


@bp.after_request
def _headers(resp: Response) -> Response:
    # Tickets sit in the path: no page may leak its address to another site, nor be cached on the way.
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    ancestors = current_app.extensions["lti"].settings.frame_ancestors
    if ancestors and "Content-Security-Policy" not in resp.headers:  # only the LMSs listed may frame these pages
        resp.headers["Content-Security-Policy"] = "frame-ancestors " + " ".join(["'self'", *ancestors])
    if request.endpoint != "lti.static":
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp


@bp.errorhandler(LaunchRefused)
def _refused(e: LaunchRefused):
    log.warning("lti_refused", code=e.code, tenant=e.tenant or "unknown", path=request.endpoint, reason=e.message)
    return render_template("lti/error.html", error=e), e.status


@bp.errorhandler(UploadRefused)
def _upload_refused(e: UploadRefused):
    log.warning("lti_upload_refused", code=e.code, reason=e.message)
    err = LaunchRefused(e.code, f"The upload was refused: {e.message}.", todo="Go back and choose another file.",
                        status=413 if e.code == "too_large" else 415)
    return render_template("lti/error.html", error=err), err.status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(e):
    limit = _svc().settings.lti_max_upload_bytes // 1024**2
    err = LaunchRefused("too_large", f"The upload is larger than the {limit} MB Handouts takes from the LMS.",
                        todo="Give a link to the recording instead.", status=413)
    return render_template("lti/error.html", error=err), 413


@bp.errorhandler(HandoutsError)
def _domain_error(e: HandoutsError):
    status = 404 if isinstance(e, JobNotFound) else 400 if isinstance(e, InputError) else 500
    err = LaunchRefused(e.code, e.message, todo="Go back to the Handouts page.", status=status)
    log.warning("lti_request_refused", code=e.code, reason=e.message)
    return render_template("lti/error.html", error=err), status


# ---------------------------------------------------------------- protocol

def _state_cookie(state: str) -> str:
    return "lti_state_" + digest(state)[:16]


@bp.route("/login", methods=["GET", "POST"])
def login():
    params = {**request.args.to_dict(), **request.form.to_dict()}
    launch_url = url_for(".launch", _external=True)
    if launch_url.startswith("http://") and request.host.split(":")[0] not in ("localhost", "127.0.0.1", "::1"):
        # An LMS only posts to https; behind a TLS proxy this means it sends no X-Forwarded-Proto.
        log.warning("lti_insecure_launch_url", launch_url=launch_url,
                    hint="have the proxy send X-Forwarded-Proto: https (and X-Forwarded-Host)")
    url, state = begin_login(_svc(), params, launch_url)
    resp = redirect(url, 302)
    # Only a hint where third-party cookies are blocked: the state itself is kept and used up server-side.
    resp.set_cookie(_state_cookie(state), "1", max_age=600, secure=True, httponly=True, samesite="None",
                    partitioned=True, path=request.script_root + "/")
    return resp


@bp.post("/launch")
def launch():
    form = request.form.to_dict()
    state = form.get("state") or ""
    cookie = request.cookies.get(_state_cookie(state)) if state else None
    ticket, body = validate_launch(_svc(), form, cookie)
    log.info("lti_launch", tenant=lti_tenant(body["iss"], body[CLAIM + "deployment_id"]),
             message_type=body.get(CLAIM + "message_type"), context_id=(body.get(CLAIM + "context") or {}).get("id"))
    resp = redirect(url_for(".home", ticket=ticket), 303)  # a refresh re-asks the page, never re-posts the token
    if state:
        resp.delete_cookie(_state_cookie(state), path=request.script_root + "/", secure=True, samesite="None")
    return resp


@bp.get("/jwks")
def jwks():
    return jsonify(_svc().conf.get_jwks())


# ---------------------------------------------------------------- pages

def _job_filters(seat: Seat) -> tuple[list[Job], dict]:
    """The course's jobs on the page asked for, with search, status and date filters."""
    args = request.args
    q = visible_jobs(seat.viewer)
    text = (args.get("q") or "").strip()[:200]
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(or_(Job.title.ilike(like, escape="\\"), Job.source.ilike(like, escape="\\")))
    status = args.get("status") or ""
    if status in STATUS_FILTERS:
        q = q.where(Job.status.in_(STATUS_FILTERS[status]))
    errors = []
    for name, op in (("from", "ge"), ("to", "lt")):
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        try:
            day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            errors.append(f"the date '{raw}' is not a date like 2026-03-01; it was ignored")
            continue
        q = q.where(Job.created_at >= day) if op == "ge" else q.where(Job.created_at < day + timedelta(days=1))
    with _rt().sessions() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        pages = max(1, math.ceil(total / PAGE_SIZE))
        try:
            page = min(max(1, int(args.get("page") or 1)), pages)
        except ValueError:
            page = 1
        jobs = list(s.scalars(q.order_by(Job.created_at.desc(), Job.id).limit(PAGE_SIZE)
                              .offset((page - 1) * PAGE_SIZE)))
        sizes = dict(s.execute(select(Artifact.job_id, func.sum(Artifact.size))
                               .where(Artifact.job_id.in_([j.id for j in jobs]), Artifact.kind != "source")
                               .group_by(Artifact.job_id)).all()) if jobs else {}
    return jobs, {"total": total, "page": page, "pages": pages, "q": text, "status": status,
                  "from": args.get("from") or "", "to": args.get("to") or "", "errors": errors, "sizes": sizes}


def _profiles(seat: Seat) -> list[str]:
    """The setting profiles this tenant may choose: the bundled ones and its own."""
    from pipeline.ai.profile_admin import list_profiles

    with _rt().sessions() as s:
        return [name for name, _origin, _p in list_profiles(s, seat.launch.tenant)]


@bp.get("/t/<ticket>/")
def home(ticket: str):
    seat = _seat(ticket)
    if seat.access is None:
        raise LaunchRefused("no_course_role", "Your role in this course does not give access to Handouts.",
                            todo="Ask your instructor or LMS administrator to check your enrolment.", status=403,
                            tenant=seat.launch.tenant, roles=seat.roles)
    custom = seat.claims.get(CLAIM + "custom") or {}
    if seat.is_deep_link:
        _manager(seat)
        jobs, page = _job_filters(seat)
        return render_template("lti/dashboard.html", seat=seat, jobs=jobs, page=page, placing=True,
                               profiles=_profiles(seat), request_id=secrets.token_urlsafe(12),
                               panopto=_panopto_statuses(seat))
    if custom.get("handout_id"):
        return _handout_page(seat, str(custom["handout_id"]))
    jobs, page = _job_filters(seat)
    if seat.access == roles.MANAGE:
        return render_template("lti/dashboard.html", seat=seat, jobs=jobs, page=page, placing=False,
                               profiles=_profiles(seat), request_id=secrets.token_urlsafe(12),
                               panopto=_panopto_statuses(seat))
    ready = [j for j in jobs if j.status in STATUS_FILTERS["ready"]]
    return render_template("lti/course.html", seat=seat, jobs=ready)


def _handout_job(seat: Seat, job_id: str) -> Job:
    with _rt().sessions() as s:
        job = s.scalar(visible_jobs(Viewer(tenant=seat.launch.tenant)).where(
            Job.id == job_id, Job.scope.in_(seat.history_scopes)))
        if job is not None:
            job.artifacts  # noqa: B018 - loaded before the session closes
    if job is None:
        raise LaunchRefused("handout_elsewhere", "This handout does not belong to this course.",
                            todo="Ask your instructor to place the handout in this course again.", status=404,
                            tenant=seat.launch.tenant)
    return job


def _handout_page(seat: Seat, job_id: str):
    job = _handout_job(seat, job_id)
    settings = _svc().settings
    downloads, slides, key_points = [], [], []
    if job.status in STATUS_FILTERS["ready"]:
        for a in job.artifacts:
            if a.kind in ("source", "slide"):
                continue
            token = sign_download(settings.secret_key.get_secret_value(), job.id, a.name, seat.launch.user_id,
                                  settings.lti_download_minutes * 60)
            downloads.append({"name": a.name, "kind": a.kind, "size": a.size, "type": a.content_type,
                              "url": url_for(".download", token=token)})
        slides = _manifest_slides(job)
        key_points = _key_points(job)
    return render_template("lti/handout.html", seat=seat, job=job, downloads=downloads, slides=slides,
                           minutes=int(settings.lti_download_minutes),
                           key_points=key_points, manage=seat.access == roles.MANAGE)


def _manifest_slides(job: Job) -> list[dict]:
    import json

    art = next((a for a in job.artifacts if a.kind == "manifest"), None)
    if art is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = _rt().storage.get_file(art.storage_key, Path(tmp) / "slides.json")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (HandoutsError, ValueError, OSError):
            return []
    out = []
    for i, entry in enumerate(data.get("slides") or []):
        if not isinstance(entry, dict) or entry.get("repeat_of") is not None:
            continue
        slide_text = entry.get("slide_text") or {}
        lines = [ln.get("text", "") for ln in slide_text.get("lines") or [] if isinstance(ln, dict)]
        start = float(entry.get("start") or 0)
        out.append({"n": len(out) + 1, "at": f"{int(start // 60)}:{int(start % 60):02d}",
                    "title": slide_text.get("title") or "", "on_slide": " ".join(lines)[:2000],
                    "said": str(entry.get("text") or "")[:4000]})
    return out


def _key_points(job: Job) -> list[str]:
    from pipeline.jobs import finished_stages

    with _rt().sessions() as s:
        j = s.get(Job, job.id)
        study = finished_stages(j).get("study", {}) if j else {}
    kp = ((study.get("results") or {}).get("key_points") or {})
    points = kp.get("lecture") or []
    return [p if isinstance(p, str) else str(p.get("text") or p.get("point") or "") for p in points][:30]


@bp.get("/t/<ticket>/jobs.json")
def jobs_json(ticket: str):
    seat = _manager(_seat(ticket))
    jobs, page = _job_filters(seat)
    return jsonify(jobs=[{"id": j.id, "status": j.status, "progress": round(j.progress or 0, 1),
                          "message": j.message, "title": j.title or ""} for j in jobs],
                   total=page["total"], page=page["page"], pages=page["pages"])


VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".m3u8")


def _panopto_session(url: str):
    """The Panopto session a link names (a PanoptoLink), None for a link that is not a Panopto session (another
    video, or a plain video file on a Panopto-named host); InputError for a folder or a link without a session."""
    from pipeline.panopto.links import PanoptoFolderLink, looks_like_panopto, parse_panopto_link

    if not looks_like_panopto(url):
        return None
    try:
        return parse_panopto_link(url)
    except PanoptoFolderLink as e:
        raise InputError(e.message.replace("`", ""), field="url") from None
    except InputError as e:
        from urllib.parse import urlsplit

        if urlsplit(url).path.lower().endswith(VIDEO_SUFFIXES):
            return None
        raise InputError(e.message.replace("`", ""), field="url") from None


def _accounts():
    """The Panopto account service of this process, or None when Panopto linking is not set up."""
    return current_app.extensions.get("handouts_panopto")


def _connect_first(seat: Seat, url: str, options: dict, key: str | None):
    """For a Panopto session link: None when the instructor may go ahead (linked, or a service user stands in);
    otherwise the Connect Panopto page, the request kept on the server to start after the callback."""
    from pipeline.panopto.accounts import pending_job
    from pipeline.panopto.oauth import server_host
    from pipeline.sources.netguard import display_url

    accounts = _accounts()
    if accounts is None:
        raise InputError(f"{display_url(url)} is a Panopto recording, but Panopto is not set up on this Handouts "
                         "server: ask its administrator, or give the recording's download (MP4) link or the file.",
                         field="url")
    tenant, user = seat.launch.tenant, seat.launch.user_id
    server = accounts.server_for_link(tenant, url)  # another host: refused, with the server that is set up
    if not accounts.needs_connect(tenant, user, server):
        return None
    if key:  # the same form sent again after the request already started
        with _rt().sessions() as s:
            known = s.scalar(select(Job.id).where(Job.idempotency_key == key))
        if known:
            return redirect(url_for(".home", ticket=seat.ticket, created=known), 303)
    pending = pending_job(source=url, tenant=tenant, owner=user, origin=Origin.LTI, address=_address(seat),
                          scope=seat.scope, options=options, idempotency_key=key)
    state = _begin_connect(accounts, seat, server, pending)
    log.info("lti_panopto_connect_asked", tenant=tenant, host=server_host(server), context_id=seat.launch.context_id)
    return render_template("lti/panopto_connect.html", seat=seat, host=server_host(server),
                           link=accounts.connect_link(state), source=display_url(url),
                           minutes=_svc().settings.panopto_connect_minutes)


def _begin_connect(accounts, seat: Seat, server, pending: dict | None) -> str:
    """A single-use connect state for the instructor; a clear page when the web app cannot take callbacks."""
    from pipeline.errors import ConfigError

    try:
        return accounts.begin_connect(tenant=seat.launch.tenant, user=seat.launch.user_id, server=server,
                                      pending=pending)
    except ConfigError as e:
        raise LaunchRefused("panopto_not_set_up", f"Connect Panopto is not set up on this Handouts server "
                            f"({e.message}), so nothing was started.",
                            todo="Tell the Handouts administrator; meanwhile give the recording's download (MP4) "
                                 "link or upload the file.", status=503, tenant=seat.launch.tenant) from None


def _panopto_statuses(seat: Seat) -> list | None:
    """The instructor's Panopto link on each of the tenant's servers (None: Panopto is not set up here)."""
    accounts = _accounts()
    if accounts is None:
        return None
    try:
        return accounts.statuses(seat.launch.tenant, seat.launch.user_id) or None
    except HandoutsError as e:
        log.warning("lti_panopto_status_failed", tenant=seat.launch.tenant, error=e.message)
        return None


@bp.post("/t/<ticket>/panopto/connect")
def panopto_connect(ticket: str):
    """A fresh single-use Connect Panopto link, opened in its own window (Panopto's sign-in leaves the iframe)."""
    seat = _manager(_seat(ticket))
    _check_csrf(seat)
    accounts = _accounts()
    if accounts is None:
        raise InputError("Panopto is not set up on this Handouts server; ask its administrator.", field="panopto")
    host = (request.form.get("host") or "").strip()
    servers = accounts.servers_of(seat.launch.tenant)
    server = accounts.server(seat.launch.tenant, host) if host else (servers[0] if len(servers) == 1 else None)
    if server is None:
        raise InputError(f"'{host[:100]}' is not a Panopto server set up here; use the Connect button next to "
                         "the server on the Handouts page.", field="host")
    state = _begin_connect(accounts, seat, server, None)
    return redirect(accounts.connect_link(state), 303)


@bp.post("/t/<ticket>/panopto/disconnect")
def panopto_disconnect(ticket: str):
    """Unlink the instructor's Panopto account (revoked at Panopto where it answers) and show the page again."""
    seat = _manager(_seat(ticket))
    _check_csrf(seat)
    accounts = _accounts()
    if accounts is None:
        raise InputError("Panopto is not set up on this Handouts server; ask its administrator.", field="panopto")
    removed = accounts.disconnect(tenant=seat.launch.tenant, user=seat.launch.user_id)
    outcome = "none" if not removed else "revoked" if all(ok for _h, ok in removed) else "forgotten"
    log.info("lti_panopto_disconnected", tenant=seat.launch.tenant, outcome=outcome)
    return redirect(url_for(".home", ticket=ticket, panopto=outcome), 303)


def _request_options() -> dict:
    f = request.form
    options = {}
    if f.get("title", "").strip():
        options["title"] = f["title"].strip()[:300]
    if f.get("paper") in ("letter", "a4"):
        options["paper"] = f["paper"]
    layouts = [x for x in f.getlist("layout") if x in ("16up", "6up", "4up", "notes")]
    if len(layouts) == 1:
        options["layout"] = layouts[0]
    elif not layouts:
        raise InputError("choose at least one handout layout (slides grid or notes)", field="layout")
    if not f.get("study"):
        options["no_ai"] = True
    profile = (f.get("profile") or "").strip()
    if profile:
        options["profile"] = profile[:64]
    return options


def _address(seat: Seat) -> LtiAddress:
    platform = get_platform(_svc().sessions, seat.launch.platform_id)
    claims = seat.claims
    return LtiAddress(issuer=platform.issuer, client_id=platform.client_id, deployment_id=seat.launch.deployment_id,
                      context_id=seat.launch.context_id, user_id=seat.launch.user_id,
                      resource_link_id=(claims.get(CLAIM + "resource_link") or {}).get("id"),
                      email=claims.get("email") or _roster_email(platform, seat),
                      return_url=(claims.get(CLAIM + "launch_presentation") or {}).get("return_url"))


def _roster_email(platform, seat: Seat) -> str | None:
    """No e-mail in the launch (Canvas privacy, Moodle settings): ask the roster service, if offered."""
    from .nrps import requester_email

    return requester_email(_svc(), platform, seat.claims, seat.launch.user_id)


@bp.post("/t/<ticket>/jobs")
def create_job(ticket: str):
    seat = _manager(_seat(ticket))
    _check_csrf(seat)  # from the query string: checked before the body (maybe a recording) is read
    rt, settings = _rt(), _svc().settings
    request.upload_dir = settings.work_dir / "lti-uploads"
    request.upload_limit = settings.lti_max_upload_bytes
    request.max_content_length = settings.lti_max_upload_bytes + 1024 * 1024
    try:
        return _create_job(seat, rt)
    finally:  # every uploaded part's temporary file goes, whatever happened (its bytes are in storage if used)
        for part in getattr(request, "uploads", []):
            part.discard()


def _create_job(seat: Seat, rt):
    options = _request_options()
    session = None
    upload = request.files.get("recording")
    url = (request.form.get("url") or "").strip()
    if upload is not None and upload.filename:
        stream = upload.stream
        stream.finish()
        key = source_key(seat.launch.tenant, stream.sha256, stream.suffix)
        stored = rt.storage.put_file(key, stream.path, upload.mimetype or "application/octet-stream")
        source = f"storage:{stored.key}"
        options.setdefault("title", Path(upload.filename).stem[:300])
    elif url:
        if not url.lower().startswith(("http://", "https://")):
            raise InputError(f"the link '{url[:200]}' is not an http(s) address; paste the recording's link "
                             "or upload the file", field="url")
        session = _panopto_session(url)  # a folder, or a Panopto link naming no recording: refused here
        source = url
    else:
        raise InputError("give the recording: paste its link or choose the file to upload", field="url")
    if "profile" in options:
        rt.ai.profile(options["profile"], seat.launch.tenant)
    # the form's own id: a double click or a re-sent POST finds the job the first one made
    rid = request.form.get("request_id") or ""
    key = f"lti:{seat.launch.ticket_hash[:24]}:{rid}" if re.fullmatch(r"[A-Za-z0-9_-]{8,64}", rid) else None
    if session is not None:  # fetched with the instructor's own Panopto rights: linked first, if need be
        page = _connect_first(seat, url, options, key)
        if page is not None:
            return page
    with rt.transaction() as s:
        job = submit_job(s, rt.enqueue, source=source, tenant=seat.launch.tenant, owner=seat.launch.user_id,
                         origin=Origin.LTI, address=_address(seat), scope=seat.scope, options=options,
                         idempotency_key=key, seal=rt.seal)
        job.title = job.title or options.get("title")  # searchable at once; the stages set the real one
        job_id, title = job.id, options.get("title") or "Handout"
    log.info("lti_job_requested", tenant=seat.launch.tenant, job_id=job_id, context_id=seat.launch.context_id)
    if seat.is_deep_link and request.form.get("place"):
        return _deep_link_response(seat, [(job_id, title)])
    return redirect(url_for(".home", ticket=seat.ticket, created=job_id), 303)


@bp.post("/t/<ticket>/place")
def place(ticket: str):
    seat = _manager(_seat(ticket))
    _check_csrf(seat)
    if not seat.is_deep_link:
        raise LaunchRefused("not_deep_link", "Handouts can place a handout only when the LMS asked for content "
                                             "(its add-content or editor button).", status=400)
    ids = request.form.getlist("job")
    if not ids:
        raise InputError("choose a handout to place in the course", field="job")
    settings = seat.claims.get(DL_CLAIM + "deep_linking_settings") or {}
    if len(ids) > 1 and not settings.get("accept_multiple"):
        raise InputError("this place in the course takes one handout; choose one", field="job")
    picked = []
    with _rt().sessions() as s:
        for job_id in ids:
            job = get_visible_job(s, seat.viewer, job_id)  # another course's id: JobNotFound, nothing sent
            picked.append((job.id, job.title or (job.options or {}).get("title") or "Handout"))
    return _deep_link_response(seat, picked)


def _deep_link_response(seat: Seat, items: list[tuple[str, str]]):
    from pylti1p3.deep_link import DeepLink
    from pylti1p3.deep_link_resource import DeepLinkResource

    platform = get_platform(_svc().sessions, seat.launch.platform_id)
    registration = _svc().conf.registration(platform)
    settings = seat.claims.get(DL_CLAIM + "deep_linking_settings") or {}
    resources = [DeepLinkResource().set_url(url_for(".launch", _external=True)).set_title(f"Handout: {title}")
                 .set_custom_params({"handout_id": job_id}) for job_id, title in items]
    token = DeepLink(registration, seat.launch.deployment_id, settings).get_response_jwt(resources)
    log.info("lti_deep_link_response", tenant=seat.launch.tenant, items=len(items))
    return render_template("lti/deep_link_return.html", action=settings["deep_link_return_url"], jwt=token,
                           items=items)


def _job_action(ticket: str, job_id: str, action):
    seat = _manager(_seat(ticket))
    _check_csrf(seat)
    rt = _rt()
    with rt.transaction() as s:
        get_visible_job(s, seat.viewer, job_id)
        action(s, job_id)
    log.info("lti_job_action", tenant=seat.launch.tenant, job_id=job_id, action=request.endpoint)
    return redirect(url_for(".home", ticket=ticket), 303)


@bp.post("/t/<ticket>/jobs/<job_id>/cancel")
def cancel(ticket: str, job_id: str):
    return _job_action(ticket, job_id, cancel_job)


@bp.post("/t/<ticket>/jobs/<job_id>/retry")
def retry(ticket: str, job_id: str):
    return _job_action(ticket, job_id, lambda s, j: retry_job(s, _rt().enqueue, j))


@bp.post("/t/<ticket>/jobs/delete")
def bulk_delete(ticket: str):
    seat = _manager(_seat(ticket))
    _check_csrf(seat)
    ids = list(dict.fromkeys(request.form.getlist("job")))[:200]
    if not ids:
        raise InputError("choose the handouts to delete (the boxes in the list)", field="job")
    rt = _rt()
    if request.form.get("confirm") != "yes":
        with rt.sessions() as s:
            jobs = [get_visible_job(s, seat.viewer, j) for j in ids]
        live = [j for j in jobs if not j.is_terminal]
        if live:
            names = ", ".join(j.title or (j.options or {}).get("title") or j.id for j in live)
            raise InputError(f"{names}: still being made; cancel it first, then delete it", field="job")
        return render_template("lti/confirm_delete.html", seat=seat, jobs=jobs)
    keys: list[str] = []
    with rt.transaction() as s:
        for job_id in ids:
            get_visible_job(s, seat.viewer, job_id)
            keys += delete_job(s, job_id)
    for key in keys:
        try:
            rt.storage.delete(key)
        except HandoutsError as e:  # the rows are gone; a leftover file is the operator's to sweep
            log.warning("lti_file_delete_failed", key=key, error=e.message)
    log.info("lti_jobs_deleted", tenant=seat.launch.tenant, count=len(ids))
    return redirect(url_for(".home", ticket=ticket, deleted=len(ids)), 303)


@bp.get("/files/<token>")
def download(token: str):
    payload = verify_download(_svc().settings.secret_key.get_secret_value(), token)
    rt = _rt()
    with rt.sessions() as s:
        art = s.scalar(select(Artifact).where(Artifact.job_id == payload["j"], Artifact.name == payload["n"]))
    if art is None:
        raise JobNotFound(payload["j"])
    tmp = Path(tempfile.mkdtemp(prefix="lti-dl-", dir=_svc().settings.work_dir if
                                _svc().settings.work_dir.exists() else None))
    path = rt.storage.get_file(art.storage_key, tmp / "file")

    def stream():
        try:
            with open(path, "rb") as f:
                while block := f.read(256 * 1024):
                    yield block
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    resp = Response(stream_with_context(stream()), mimetype=art.content_type)
    safe = "".join(c for c in art.name if c.isalnum() or c in "._-") or "handout"
    resp.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    resp.headers["Content-Length"] = str(art.size)
    return resp


# ---------------------------------------------------------------- dynamic registration

def _registration_gate() -> str:
    expected = _svc().settings.lti_registration_token
    if expected is None:
        raise LaunchRefused("registration_closed", "Dynamic registration is switched off on this Handouts.",
                            todo="The Handouts administrator can set HANDOUTS_LTI_REGISTRATION_TOKEN, or register "
                                 "the LMS with `handouts lti add-platform`.", status=404)
    offered = request.values.get("token") or ""
    if not hmac.compare_digest(offered.encode(), expected.get_secret_value().encode()):
        raise LaunchRefused("registration_token", "This registration address lacks the right token.",
                            todo="Paste the full address the Handouts administrator gave you, with its "
                                 "?token=… part.", status=403)
    return offered


def _registration_csrf(config_url: str) -> str:
    key = _svc().settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"dynreg:" + config_url.encode(), "sha256").hexdigest()


@bp.route("/register", methods=["GET", "POST"])
def register():
    from .dynreg import read_platform_config, register as do_register

    token = _registration_gate()
    config_url = (request.values.get("openid_configuration") or "").strip()
    if not config_url:
        raise LaunchRefused("registration_no_config", "The LMS did not say where its configuration is "
                                                      "(openid_configuration).",
                            todo="Start the registration from the LMS (Canvas: Developer Keys → LTI Registration; "
                                 "Moodle: Manage tools → Tool URL), pasting this address there.")
    reg_token = request.values.get("registration_token") or None
    settings = _svc().settings
    if request.method == "GET":
        platform = read_platform_config(config_url, reg_token, allow_private=settings.allow_private_urls,
                                        timeout=settings.lti_http_timeout)
        return render_template("lti/register.html", platform=platform, token=token, config_url=config_url,
                               reg_token=reg_token or "", csrf=_registration_csrf(config_url))
    if not hmac.compare_digest(request.form.get("csrf") or "", _registration_csrf(config_url)):
        raise LaunchRefused("bad_csrf", "This form was not sent from the Handouts registration page.",
                            todo="Start the registration again from the LMS.", status=403)
    info, dep, platform = do_register(_svc().sessions, request.host_url.rstrip("/"), config_url, reg_token,
                                      allow_private=settings.allow_private_urls, timeout=settings.lti_http_timeout)
    log.info("lti_registered", issuer=info.issuer, client_id=info.client_id, deployment_id=dep)
    return render_template("lti/register_done.html", platform=platform, info=info, deployment_id=dep)
