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

_FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP")


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


def token_matches(offered: str) -> bool:
    """The offered token equals the admin token, compared as bytes in constant time (any characters allowed)."""
    expected = _admin_token()
    if not expected or not offered:
        return False
    return hmac.compare_digest(offered.encode("utf-8", "surrogateescape"), expected)


def _loopback_unproxied() -> bool:
    # With no admin token the pages are for this machine only; a request relayed by a proxy on this machine
    # carries forwarded headers and is refused, so a proxy in front cannot open them to the world.
    if any(h in request.headers for h in _FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def sign_in_viewer(viewer: Viewer) -> None:
    """Start a session for a non-operator viewer (one tenant, maybe one scope or owner), e.g. after an LMS launch."""
    session.clear()
    session.permanent = True
    session["viewer"] = {"tenant": viewer.tenant, "scope": viewer.scope, "owner": viewer.owner}


def current_viewer() -> Viewer | None:
    """The operator, the viewer this session was signed in as, or None (nobody)."""
    if session.get("operator") and _admin_token():
        return OPERATOR
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and token_matches(header.removeprefix("Bearer ").strip()):
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
        abort(403, description="the status pages answer only on this machine; set HANDOUTS_ADMIN_TOKEN to reach "
                               "them from elsewhere")
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
