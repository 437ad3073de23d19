"""Panopto's OAuth2 server as a fake on the generic loopback server: authorize, token, revocation.

    fake = install_oauth(http_server, client_id="cid", client_secret="cs", users={"alice": "pw"})
    fake.signs_in = "alice"                       # who "logs in" at the authorize page
    fake.is_valid(access_token)                   # for a content fake that accepts bearers

Shapes as Panopto documents them (`/Panopto/oauth2/connect/{authorize,token,revocation}`, client id and secret
by HTTP Basic, form bodies, JSON answers with `error` codes). Refresh tokens rotate: each one works once, then
`invalid_grant`. Access tokens live `access_lifetime` seconds of `clock`. Failure switches:
    fake.revoke_user("alice")   every token of alice dies (as if revoked in Panopto's settings)
    fake.login_page = True      the token endpoint answers a sign-in web page (200 text/html)
    fake.outage = 3             the next 3 requests answer 503 (True: until switched off)
    fake.deny = True            the authorize page sends the browser back with error=access_denied
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply

ROOT = "/Panopto/oauth2/connect/"
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in - Panopto</title></head><body><form method='post'>"
              b"<input name='username'><input name='password' type='password'></form></body></html>")


@dataclass
class _Refresh:
    user: str
    family: str
    used: bool = False


@dataclass
class PanoptoOAuthFake:
    """The fake's state and switches; see the module docstring."""

    client_id: str
    client_secret: str
    users: dict[str, str]
    clock: Callable[[], float] = time.time
    access_lifetime: float = 3600.0
    signs_in: str | None = None
    deny: bool = False
    login_page: bool = False
    outage: int | bool = 0
    refresh_delay: float = 0.0
    codes: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    refresh_tokens: dict[str, _Refresh] = field(default_factory=dict)
    access_tokens: dict[str, tuple[str, float, str]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)   # grant families (one per sign-in)
    revocations: list[str] = field(default_factory=list)
    grants: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- what tests ask -------------------------------------------------------------------------------------
    def is_valid(self, access_token: str) -> bool:
        """True for an access token this fake issued that has not expired and whose user was not revoked."""
        with self._lock:
            found = self.access_tokens.get(access_token)
            return bool(found) and found[2] not in self.revoked and found[1] > self.clock()

    def user_of(self, access_token: str) -> str | None:
        with self._lock:
            found = self.access_tokens.get(access_token)
            return found[0] if found else None

    def live_refresh_tokens(self, user: str) -> list[str]:
        with self._lock:
            return [t for t, r in self.refresh_tokens.items()
                    if r.user == user and not r.used and r.family not in self.revoked]

    def revoke_user(self, user: str) -> None:
        with self._lock:
            self.revoked |= {r.family for r in self.refresh_tokens.values() if r.user == user}
            self.revoked |= {a[2] for a in self.access_tokens.values() if a[0] == user}

    def count(self, grant: str) -> int:
        return self.grants.count(grant)

    # ---- issuing ----------------------------------------------------------------------------------------------
    def _issue(self, user: str, *, refresh: bool = True, family: str | None = None) -> dict:
        family = family or secrets.token_hex(8)
        access = "pat-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = (user, self.clock() + self.access_lifetime, family)
        answer = {"access_token": access, "token_type": "Bearer", "expires_in": int(self.access_lifetime),
                  "scope": "openid api offline_access"}
        if refresh:
            token = "prt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[token] = _Refresh(user, family)
            answer["refresh_token"] = token
        return answer

    # ---- routes -----------------------------------------------------------------------------------------------
    def _down(self) -> Reply | None:
        if self.outage is True or (isinstance(self.outage, int) and self.outage > 0):
            if self.outage is not True:
                self.outage -= 1
            return Reply(503, b"Service Unavailable", "text/html", ranges=False)
        return None

    def authorize(self, req: RecordedRequest, _n: int) -> Reply:
        q = req.query
        if q.get("client_id") != self.client_id or q.get("response_type") != "code" or not q.get("redirect_uri"):
            return Reply(400, b"invalid authorize request", "text/plain", ranges=False)
        if "offline_access" not in q.get("scope", "").split():
            return Reply(400, b"offline_access missing", "text/plain", ranges=False)
        back = {"state": q.get("state", "")}
        with self._lock:
            if self.deny or not self.signs_in:
                back["error"] = "access_denied"
            else:
                code = "pac-" + secrets.token_urlsafe(16)
                self.codes[code] = (self.signs_in, q["redirect_uri"], False)
                back["code"] = code
        location = q["redirect_uri"] + "?" + urlencode(back)
        return Reply(302, b"", "text/plain", {"Location": location}, ranges=False)

    def _client_ok(self, req: RecordedRequest) -> bool:
        header = req.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return cid == self.client_id and secret == self.client_secret

    @staticmethod
    def _json(status: int, data: dict) -> Reply:
        return Reply(status, json.dumps(data).encode(), "application/json; charset=utf-8", ranges=False)

    def token(self, req: RecordedRequest, _n: int) -> Reply:
        down = self._down()
        if down:
            return down
        if self.login_page:
            return Reply(200, LOGIN_PAGE, "text/html; charset=utf-8", ranges=False)
        if req.method != "POST":
            return self._json(405, {"error": "invalid_request"})
        if not self._client_ok(req):
            return self._json(401, {"error": "invalid_client"})
        form = req.form
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if grant == "refresh_token" and self.refresh_delay:
            time.sleep(self.refresh_delay)  # widens the window in which two workers could race
        with self._lock:
            if grant == "authorization_code":
                found = self.codes.get(form.get("code", ""))
                if not found or found[2] or found[1] != form.get("redirect_uri"):
                    return self._json(400, {"error": "invalid_grant"})
                self.codes[form["code"]] = (found[0], found[1], True)
                return self._json(200, self._issue(found[0]))
            if grant == "refresh_token":
                found = self.refresh_tokens.get(form.get("refresh_token", ""))
                if not found or found.used or found.family in self.revoked:
                    return self._json(400, {"error": "invalid_grant"})
                found.used = True
                return self._json(200, self._issue(found.user, family=found.family))
            if grant == "password":
                user = form.get("username", "")
                if self.users.get(user) != form.get("password"):
                    return self._json(400, {"error": "invalid_grant",
                                            "error_description": "invalid_username_or_password"})
                return self._json(200, self._issue(user, refresh="offline_access" in form.get("scope", "")))
        return self._json(400, {"error": "unsupported_grant_type"})

    def revocation(self, req: RecordedRequest, _n: int) -> Reply:
        down = self._down()
        if down:
            return down
        if not self._client_ok(req):
            return self._json(401, {"error": "invalid_client"})
        token = req.form.get("token", "")
        with self._lock:
            self.revocations.append(token)
            found = self.refresh_tokens.get(token)
            if found:
                found.used = True
                self.revoked.add(found.family)  # and every token issued from the same sign-in
        return Reply(200, b"", "text/plain", ranges=False)


def install_oauth(server: FakeHTTPServer, *, client_id: str, client_secret: str,
                  users: dict[str, str]) -> PanoptoOAuthFake:
    """Register Panopto's OAuth routes on `server` and return the fake's state and switches."""
    fake = PanoptoOAuthFake(client_id=client_id, client_secret=client_secret, users=dict(users))
    server.route(ROOT + "authorize", fake.authorize)
    server.route(ROOT + "token", fake.token)
    server.route(ROOT + "revocation", fake.revocation)
    return fake
