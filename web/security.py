"""What every response and form of the app gets: CSRF tokens, security headers and the session cookie's flags.

Shared by every blueprint (operator pages, files, LMS pages): pages inside the LMS are framed only by the origins
in `HANDOUTS_FRAME_ANCESTORS`; every other page refuses to be framed at all.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta
from typing import Callable, TypeVar

from flask import Flask, Request, Response, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from pipeline.errors import ConfigError
from pipeline.settings import Settings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_SESSION_KEY = "_csrf"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A source in a CSP list: a scheme-and-host origin with an optional port, or a host wildcard like https://*.x.edu.
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")

F = TypeVar("F", bound=Callable)


# -- CSRF -------------------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """This session's CSRF token (made on first use); forms post it back in the `csrf_token` field."""
    token = session.get(_CSRF_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[_CSRF_SESSION_KEY] = token
    return token


def csrf_exempt(view: F) -> F:
    """Mark a view that is authenticated another way (a platform's signed token, a Slack signature)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def _csrf_exempt_request(app: Flask, req: Request) -> bool:
    if any(req.path.startswith(p) for p in app.config.get("HANDOUTS_CSRF_EXEMPT_PREFIXES", ())):
        return True
    view = app.view_functions.get(req.endpoint or "")
    return bool(getattr(view, "csrf_exempt", False))


def check_csrf() -> None:
    """Refuse (400) a state-changing request whose token is missing or is not this session's."""
    expected = session.get(_CSRF_SESSION_KEY)
    offered = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not offered:
        abort(400, description="this form came without its security token: reload the page and send it again")
    if not isinstance(expected, str) or not expected:
        abort(400, description="this form has expired (your session has no security token): reload the page "
                               "and send it again")
    if not hmac.compare_digest(offered.encode("utf-8", "surrogateescape"), expected.encode()):
        abort(400, description="this form's security token does not match your session: reload the page and "
                               "send it again")


# -- headers ----------------------------------------------------------------------------------------------------

def frameable(view: F) -> F:
    """Mark a view whose page may be framed by the origins in HANDOUTS_FRAME_ANCESTORS (pages inside an LMS)."""
    view.frameable = True  # type: ignore[attr-defined]
    return view


def _is_frameable(app: Flask, settings: Settings) -> bool:
    if getattr(g, "handouts_frameable", False):
        return True
    if any(request.path.startswith(p) for p in settings.frameable_paths):
        return True
    return bool(getattr(app.view_functions.get(request.endpoint or ""), "frameable", False))


def is_https(settings: Settings) -> bool:
    """Whether this request came over https (directly, or through a trusted proxy), or the app says it always does."""
    return settings.https or request.is_secure


def _headers(app: Flask, settings: Settings, response: Response) -> Response:
    ancestors = "'none'"
    if settings.frame_ancestors and _is_frameable(app, settings):
        ancestors = " ".join(["'self'", *settings.frame_ancestors])
    own_csp = response.headers.get("Content-Security-Policy")
    if own_csp:  # a view that set its own (file downloads: sandboxed) keeps it, with the framing rule added
        if "frame-ancestors" not in own_csp:
            response.headers["Content-Security-Policy"] = f"{own_csp}; frame-ancestors {ancestors}"
    else:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")
    if ancestors == "'none'":
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin" if ancestors != "'none'" \
        else "no-referrer"
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if is_https(settings):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- session cookie ---------------------------------------------------------------------------------------------

class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over https.

    Inside the LMS's iframe (a frameable page over https) the cookie is a third-party one: it is sent only as
    SameSite=None; Secure; Partitioned (CHIPS), so it lives in a jar of its own for that LMS and never becomes
    the operator's first-party cookie. Everywhere else it is SameSite=Lax.
    """

    def _inside_lms(self, app: Flask) -> bool:
        settings: Settings = app.extensions["handouts"].settings
        return self.get_cookie_secure(app) and bool(settings.frame_ancestors) and _is_frameable(app, settings)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if self._inside_lms(app) else super().get_cookie_samesite(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return self._inside_lms(app) or super().get_cookie_partitioned(app)


def check_frame_ancestors(origins: list[str]) -> None:
    """Each origin must be a plain http(s) origin: anything else could smuggle a directive into the CSP."""
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ConfigError("HANDOUTS_FRAME_ANCESTORS", f"'{origin}' is not an origin; give a JSON list like "
                              '["https://canvas.example.edu", "https://*.instructure.com"]')


def init_security(app: Flask, settings: Settings) -> None:
    """Cookie flags, trusted proxies, CSRF on every state-changing request, headers on every response."""
    check_frame_ancestors(settings.frame_ancestors)
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,  # type: ignore[method-assign]
                                x_host=settings.proxy_hops, x_port=settings.proxy_hops)
    app.session_interface = _SessionInterface()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.https, SESSION_COOKIE_NAME="handouts_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours))
    # Slack's endpoint is authenticated by its request signature, not by a browser session.
    app.config.setdefault("HANDOUTS_CSRF_EXEMPT_PREFIXES", ("/slack/",))
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["CSRF_FIELD"] = CSRF_FIELD

    @app.before_request
    def _csrf():
        if request.method in _UNSAFE_METHODS and not _csrf_exempt_request(current_app, request):
            check_csrf()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        return _headers(current_app, settings, response)
