"""Routes for the machines that watch Handouts: readiness and Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from pipeline.metrics import prometheus_text, read_figures
from pipeline.runtime import Runtime

bp = Blueprint("ops", __name__)


def _rt() -> Runtime:
    return current_app.extensions["handouts"]


def _queue_depth(rt: Runtime) -> int | None:
    try:
        return len(rt.huey)
    except Exception:  # the queue is away: the figure is missing, the others still count
        return None


@bp.get("/readyz")
def readyz():
    """200 when the database, the queue and the storage all answer; 503 naming what does not."""
    rt = _rt()
    checks: dict[str, str] = {}
    try:
        with rt.engine.connect() as c:
            c.execute(text("select 1"))
        checks["database"] = "ok"
    except Exception as e:  # readiness reports, it never raises
        checks["database"] = f"error: {type(e).__name__}"
    checks["queue"] = "ok" if _queue_depth(rt) is not None else "error: unreachable"
    try:
        rt.storage.check()
        checks["storage"] = "ok"
    except Exception as e:
        checks["storage"] = f"error: {type(e).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text format; the same figures from every process (they are read from the database)."""
    rt = _rt()
    with rt.sessions() as s:
        figures = read_figures(s, _queue_depth(rt))
    return Response(prometheus_text(figures), mimetype="text/plain; version=0.0.4")
