"""The web adapter: health, the operator's status pages, sign-in, file downloads, and what every page shares
(templates, CSRF, security headers, error pages).

The composition root (handouts.app) mounts it beside the Slack and LTI adapters.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException, InternalServerError

from pipeline.errors import HandoutsError, InputError, JobNotFound
from pipeline.logs import get_logger
from pipeline.runtime import Runtime

from . import auth, files, pages
from .auth import current_viewer, require_operator, require_viewer, sign_in_viewer
from .security import csrf_exempt, csrf_token, frameable, init_security

__all__ = ["init_app", "csrf_exempt", "csrf_token", "frameable", "current_viewer", "require_viewer",
           "require_operator", "sign_in_viewer", "wants_json"]

log = get_logger("handouts.web")

# Templates (web/templates/web/*.html) and static files (/static/web/...) for every page of the app.
shell = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static/web")
health = Blueprint("health", __name__)

_TITLES = {400: "Bad request", 401: "Sign-in needed", 403: "Not allowed", 404: "Not found", 405: "Not allowed",
           410: "Gone", 413: "Too large", 429: "Too many requests", 500: "Something went wrong",
           503: "Unavailable"}


def wants_json() -> bool:
    """API routes, and clients that do not ask for HTML, get JSON errors; browsers get a page."""
    if request.path.startswith("/api/") or request.path in ("/metrics", "/healthz", "/readyz"):
        return True
    if "text/html" not in request.headers.get("Accept", ""):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) != "text/html"


def _error(status: int, code: str, message: str):
    if wants_json():
        return jsonify(error=code, message=message), status
    return render_template("web/error.html", status=status, heading=_TITLES.get(status, "Error"),
                           message=message), status


def _rt_of(app: Flask) -> Runtime:
    return app.extensions["handouts"]


@health.get("/healthz")
def healthz():
    checks = {}
    try:
        with _rt_of(current_app).engine.connect() as c:
            c.execute(text("select 1"))
        checks["database"] = "ok"
    except Exception as e:  # health checks report, they never raise
        checks["database"] = f"error: {type(e).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "degraded", checks=checks), 200 if ok else 503


def init_app(app: Flask, rt: Runtime) -> None:
    """Register the web routes over one Runtime, with CSRF, headers and error pages for the whole app."""
    app.extensions["handouts"] = rt
    init_security(app, rt.settings)
    app.register_blueprint(shell)
    app.register_blueprint(health)
    auth.init_auth(app, rt)
    app.register_blueprint(pages.bp)
    app.register_blueprint(files.bp)

    @app.before_request
    def _operators_only():
        # /metrics lists every job's figures: operators (or this machine, with no token set) only.
        if request.endpoint == "ops.metrics":
            require_operator()

    @app.context_processor
    def _who():
        return {"signed_in_viewer": current_viewer}

    @app.errorhandler(HandoutsError)
    def _domain_error(e: HandoutsError):
        status = 404 if isinstance(e, JobNotFound) else 400 if isinstance(e, InputError) else 500
        if status == 500:
            log.error("request_failed", error=f"{type(e).__name__}: {e.message}", path=request.path)
        return _error(status, e.code, e.message)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        if e.code is None or e.code < 400 or e.response is not None:
            return e.get_response()
        code = (e.name or "error").lower().replace(" ", "_")
        return _error(e.code, code, e.description or e.name)

    @app.errorhandler(InternalServerError)
    def _internal(e: InternalServerError):
        return _error(500, "internal", "something went wrong on the server; the error is in its log")
