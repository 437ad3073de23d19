"""Who is looking: operators (the admin token, posted once in a form) and viewers a platform signed in.

The admin token is taken from a sign-in form or an `Authorization: Bearer` header, never from the URL (a query
string ends up in logs and browser history). Failed sign-ins are counted per address and refused for a while
once there are too many. With no admin token set, the pages answer only to this machine, never through a proxy.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import deque
from typing import Callable

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for

from pipeline.jobs import OPERATOR, Viewer
from pipeline.runtime import Runtime

from .errors import wants_json

bp = Blueprint("auth", __name__)

_FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
              "X-Forwarded-Prefix", "X-Real-IP", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP",
              "X-Original-Forwarded-For", "Via")
BIND_HOST = "HANDOUTS_BIND_HOST"  # app.config key: the address `handouts serve` listens on


class SignInLimiter:
    """Failed sign-ins per client address in a sliding window (per process; a few processes multiply it)."""

    def __init__(self, attempts: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, who: str) -> deque[float]:
        now = self.clock()
        q = self._failures.setdefault(who, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, who: str) -> int:
        """Seconds until `who` may try again; 0 when it may now."""
        with self._lock:
            q = self._recent(who)
            if len(q) < self.attempts:
                return 0
            return max(1, int(q[0] + self.window - self.clock()) + 1)

    def failed(self, who: str) -> None:
        with self._lock:
            self._recent(who).append(self.clock())
            if len(self._failures) > 10_000:  # a flood of addresses: forget the oldest
                for key in list(self._failures)[:5_000]:
                    self._failures.pop(key, None)

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._failures.pop(who, None)


def _rt() -> Runtime:
    return current_app.extensions["handouts"]


def _admin_token() -> bytes | None:
    token = _rt().settings.admin_token
    return token.get_secret_value().encode() if token else None


def token_matches(offered: str | bytes) -> bool:
    """The offered token equals the admin token, compared as bytes in constant time (any characters allowed).
    A str is a form field (text); a header's raw bytes are given as bytes."""
    expected = _admin_token()
    if not expected or not offered:
        return False
    raw = offered if isinstance(offered, bytes) else offered.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(raw, expected)


def _bearer() -> bytes | None:
    """The token of an `Authorization: Bearer` header as the bytes sent (WSGI hands headers over as latin-1)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    value = header.removeprefix("Bearer ").strip()
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # a server that decoded the header otherwise
        return value.encode("utf-8", "surrogateescape")


def is_loopback(host: str | None) -> bool:
    """A loopback address, or the name localhost."""
    host = (host or "").strip().strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _bound_to_loopback() -> bool:
    """The server listens on a loopback address only: as `handouts serve` was told, or as the settings say, and,
    where the server shows its socket (gunicorn), as that socket is bound."""
    bound = current_app.config.get(BIND_HOST) or _rt().settings.host
    if not is_loopback(bound):
        return False
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        try:
            return is_loopback(sock.getsockname()[0])
        except (OSError, TypeError, IndexError):
            return False
    return True


def _loopback_unproxied() -> bool:
    # With no admin token the pages are for this machine only: the server must listen on loopback, the request
    # come from loopback and name a loopback host (a rebound DNS name in a local browser is refused), and carry no
    # forwarded headers (a proxy on this machine relaying the world is refused).
    if any(h in request.headers for h in _FORWARDED):
        return False
    if not _bound_to_loopback():
        return False
    if not is_loopback(request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host):
        return False
    return is_loopback(request.remote_addr)


def sign_in_viewer(viewer: Viewer) -> None:
    """Start a session for a non-operator viewer (one tenant, maybe one scope or owner), e.g. after an LMS launch."""
    session.clear()
    session.permanent = True
    session["viewer"] = {"tenant": viewer.tenant, "scope": viewer.scope, "owner": viewer.owner}


def current_viewer() -> Viewer | None:
    """The operator, the viewer this session was signed in as, or None (nobody)."""
    if session.get("operator") and _admin_token():
        return OPERATOR
    bearer = _bearer()
    if bearer and token_matches(bearer):
        return OPERATOR
    data = session.get("viewer")  # a platform signed this browser in as one viewer: that is who it is
    if isinstance(data, dict) and data.get("tenant"):
        return Viewer(tenant=str(data["tenant"]), scope=data.get("scope"), owner=data.get("owner"))
    if not _admin_token() and _loopback_unproxied():
        return OPERATOR
    return None


def require_viewer() -> Viewer:
    """The viewer, or a refusal that says how to sign in (a browser is sent to the sign-in page)."""
    viewer = current_viewer()
    if viewer is not None:
        return viewer
    if _admin_token() is None:
        abort(403, description="with no HANDOUTS_ADMIN_TOKEN set, the status pages answer only on this machine "
                               "(a server listening on loopback, a request from it, no proxy in between); set "
                               "HANDOUTS_ADMIN_TOKEN to reach them from elsewhere")
    if not wants_json():
        abort(redirect(url_for("auth.sign_in", next=request.full_path if request.query_string else request.path)))
    abort(401, description="sign in at /sign-in with HANDOUTS_ADMIN_TOKEN, or send an Authorization: Bearer header")


def require_operator() -> Viewer:
    viewer = require_viewer()
    if not viewer.operator:
        abort(403, description="only an operator may do this")
    return viewer


def _safe_next(target: str | None) -> str:
    # only a path on this site: never '//evil.example' or an absolute URL
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.jobs")


def _client() -> str:
    return request.remote_addr or "unknown"


@bp.get("/sign-in")
def sign_in():
    viewer = current_viewer()
    if viewer is not None and viewer.operator:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("web/sign_in.html", next=_safe_next(request.args.get("next")), error=None,
                           token_set=_admin_token() is not None)


@bp.post("/sign-in")
def sign_in_post():
    limiter: SignInLimiter = current_app.extensions["handouts_signin_limiter"]
    target = _safe_next(request.form.get("next"))
    wait = limiter.retry_after(_client())
    if wait:
        body = render_template("web/sign_in.html", next=target, token_set=True,
                               error=f"Too many failed sign-ins from your address. Try again in {wait} seconds.")
        return body, 429, {"Retry-After": str(wait)}
    if _admin_token() is None:
        body = render_template("web/sign_in.html", next=target, token_set=False,
                               error="No admin token is set on this server (HANDOUTS_ADMIN_TOKEN), so nobody "
                                     "can sign in; the pages answer only on this machine.")
        return body, 403
    if not token_matches(request.form.get("token", "")):
        limiter.failed(_client())
        body = render_template("web/sign_in.html", next=target, token_set=True,
                               error="That token is not right. Paste the value of HANDOUTS_ADMIN_TOKEN.")
        return body, 401
    limiter.succeeded(_client())
    session.clear()  # a fresh session (and CSRF token) for the operator: nothing from before carries over
    session.permanent = True
    session["operator"] = True
    return redirect(target, code=303)


@bp.post("/sign-out")
def sign_out():
    session.clear()
    return redirect(url_for("auth.sign_in"), code=303)


def init_auth(app: Flask, rt: Runtime) -> None:
    app.extensions["handouts_signin_limiter"] = SignInLimiter(rt.settings.signin_attempts, rt.settings.signin_window)
    app.register_blueprint(bp)
