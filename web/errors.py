"""Errors as people and programs want them: an HTML page for a browser, JSON for the API and for scripts."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from pipeline.db import error_name, unreachable
from pipeline.errors import HandoutsError, InputError, JobNotFound
from pipeline.logs import get_logger

log = get_logger("handouts.web")

_TITLES = {400: "Bad request", 401: "Sign-in needed", 403: "Not allowed", 404: "Not found", 405: "Not allowed",
           410: "Gone", 413: "Too large", 429: "Too many requests", 500: "Something went wrong",
           503: "Unavailable"}


def wants_json() -> bool:
    """API routes, and clients that do not ask for HTML, get JSON; browsers get a page."""
    if request.path.startswith("/api/") or request.path in ("/metrics", "/healthz", "/readyz"):
        return True
    if "text/html" not in request.headers.get("Accept", ""):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) != "text/html"


def error_response(status: int, code: str, message: str, *, heading: str | None = None):
    """The error in the form the client wants, with `message` said as it is."""
    if wants_json():
        headers = {"WWW-Authenticate": 'Bearer realm="handouts"'} if status == 401 else {}
        return jsonify(error=code, message=message), status, headers
    return render_template("web/error.html", status=status, heading=heading or _TITLES.get(status, "Error"),
                           message=message), status


def init_errors(app: Flask) -> None:
    @app.errorhandler(HandoutsError)
    def _domain_error(e: HandoutsError):
        status = 404 if isinstance(e, JobNotFound) else 400 if isinstance(e, InputError) else 500
        if status == 500:
            log.error("request_failed", error=f"{type(e).__name__}: {e.message}", path=request.path)
        return error_response(status, e.code, e.message)

    @app.errorhandler(DBAPIError)
    def _database_error(e: DBAPIError):
        # A database that is restarting or out of reach is weather, not a bug: one line, 503 and when to come back.
        if not unreachable(e):
            raise e
        log.warning("database_unavailable", error=error_name(e), path=request.path)
        response = make_response(error_response(503, "database_unavailable",
                                                "the database is unavailable; try again in a minute"))
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        if e.code is None or e.code < 400 or e.response is not None:
            return e.get_response()
        code = (e.name or "error").lower().replace(" ", "_")
        return error_response(e.code, code, e.description or e.name)

    @app.errorhandler(InternalServerError)
    def _internal(e: InternalServerError):
        return error_response(500, "internal", "something went wrong on the server; the error is in its log")
