"""The web adapter: health, the operator's status pages, sign-in, file downloads, and what every page shares
(templates, CSRF, security headers, error pages).

The composition root (handouts.app) mounts it beside the Slack and LTI adapters.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request
from sqlalchemy import text

from pipeline.runtime import Runtime

from . import auth, files, pages
from .auth import current_viewer, require_operator, require_viewer, sign_in_viewer
from .errors import error_response, init_errors, wants_json
from .security import csrf_exempt, csrf_token, frameable, init_security

__all__ = ["init_app", "csrf_exempt", "csrf_token", "frameable", "current_viewer", "require_viewer",
           "require_operator", "sign_in_viewer", "wants_json", "error_response"]

# Templates (web/templates/web/*.html) and static files (/static/web/...) for every page of the app.
shell = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static/web")
health = Blueprint("health", __name__)


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
    init_errors(app)
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
