"""Panopto's OAuth2 endpoints: authorize URL, code exchange, refresh, password grant, revocation.

Panopto's authorization server lives under `{server}/Panopto/oauth2/connect/`: `authorize`, `token` and
`revocation`; the client authenticates with HTTP Basic (client id and secret of a "Server-side Web Application"
API client). Scopes `openid api offline_access`: `offline_access` brings the refresh token, which Panopto rotates
on every refresh (the old one stops working). Every failure becomes a specific error:

    InvalidGrant          the code, refresh token or password was refused (expired, revoked, used, wrong)
    PanoptoAuthFailed     the client is refused, Panopto sent a web page instead of JSON, or it is down
                          (`retryable` after 5xx, 429 and network faults, which are first retried with backoff)

Secrets go only in POST bodies and the Authorization header, never in a URL, a log line or an error message.
"""

from __future__ import annotations

import base64
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode, urlsplit

import httpx

from ..errors import HandoutsError
from ..logs import get_logger
from ..settings import Settings
from ..sources.http import parse_retry_after
from ..sources.netguard import UrlGuard, pinned_transport
from .contract import auth_failed

log = get_logger("handouts.panopto.oauth")

SCOPES = "openid api offline_access"
PATHS = {"authorize": "/Panopto/oauth2/connect/authorize", "token": "/Panopto/oauth2/connect/token",
         "revocation": "/Panopto/oauth2/connect/revocation"}
DEFAULT_LIFETIME = 3600


@dataclass
class RetryPolicy:
    """Backoff between attempts on 5xx/429/network faults; module-level so tests can shorten it."""

    attempts: int = 4
    initial: float = 0.5
    maximum: float = 8.0
    retry_after_cap: float = 30.0


POLICY = RetryPolicy()


class InvalidGrant(Exception):
    """Panopto refused the grant itself (`invalid_grant`): the token or code is expired, revoked or used."""

    def __init__(self, server_host: str, description: str) -> None:
        super().__init__(description)
        self.server_host = server_host
        self.description = description


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint gave: an access token with its expiry, and (with offline_access) a refresh token."""

    access_token: str
    expires_at: datetime
    refresh_token: str | None = None
    scope: str = ""

    def __repr__(self) -> str:  # tokens never reach a log line through a repr
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, refresh={'yes' if self.refresh_token else 'no'})"


def panopto_root(base_url: str) -> str:
    """`https://host[:port]` from a server's base URL (with or without a trailing /Panopto)."""
    url = base_url.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    if url.lower().endswith("/panopto"):
        url = url[: -len("/panopto")]
    return url


def server_host(server) -> str:
    """The host (and port) a server's tokens are filed under, lower-cased."""
    return urlsplit(panopto_root(server.base_url)).netloc.lower()


class PanoptoOAuth:
    """OAuth2 calls against one Panopto server; an httpx client with timeouts and the private-address guard."""

    def __init__(self, settings: Settings, server, *, transport: httpx.BaseTransport | None = None,
                 now=lambda: datetime.now(timezone.utc)) -> None:
        self.server = server
        self.root = panopto_root(server.base_url)
        self.host = server_host(server)
        self.now = now
        self._guard = UrlGuard(settings.allow_private_urls)
        self._client = httpx.Client(transport=transport or pinned_transport(self._guard),
                                    # short: a refresh runs with the token row locked
                                    timeout=httpx.Timeout(min(settings.http_timeout, 20.0), connect=10.0),
                                    follow_redirects=False, headers={"Accept": "application/json"})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "PanoptoOAuth":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- the authorization step (a browser goes there) ------------------------------------------------------
    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        """Where to send the person's browser: Panopto's sign-in and consent page for our client."""
        query = urlencode({"client_id": self.server.client_id, "response_type": "code", "scope": SCOPES,
                           "redirect_uri": redirect_uri, "state": state}, quote_via=quote)
        return f"{self.root}{PATHS['authorize']}?{query}"

    # ---- grants ----------------------------------------------------------------------------------------------
    def exchange_code(self, code: str, *, redirect_uri: str) -> TokenSet:
        """The tokens for an authorization code from the callback (single use, short-lived)."""
        return self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens for a refresh token; the answer carries the next refresh token (the old one is spent)."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def password(self, username: str, password: str) -> TokenSet:
        """Tokens for a Panopto user name and password (the resource-owner grant of a service or CLI user)."""
        return self._token({"grant_type": "password", "username": username, "password": password,
                            "scope": SCOPES})

    def revoke(self, token: str, *, hint: str = "refresh_token") -> bool:
        """Ask Panopto to revoke a token; True when it confirmed, False when it could not (logged, not raised)."""
        try:
            response = self._post("revocation", {"token": token, "token_type_hint": hint})
        except HandoutsError as e:  # revoking is best effort: the caller forgets the token and says so
            log.warning("panopto_revoke_failed", host=self.host, error=e.message)
            return False
        if response.status_code == 200:
            return True
        log.warning("panopto_revoke_refused", host=self.host, status=response.status_code)
        return False

    # ---- plumbing --------------------------------------------------------------------------------------------
    def _auth_header(self) -> str:
        # RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic authentication
        pair = f"{quote(self.server.client_id, safe='')}:{quote(self.server.client_secret or '', safe='')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def _post(self, endpoint: str, form: dict[str, str]) -> httpx.Response:
        url = self.root + PATHS[endpoint]
        self._guard.check(url, f"{self.root} (Panopto server)")
        last = ""
        for attempt in range(POLICY.attempts):
            wait = min(POLICY.maximum, POLICY.initial * 2 ** attempt) * (0.5 + random.random() / 2)
            try:
                response = self._client.post(url, data=form, headers={"Authorization": self._auth_header()})
            except httpx.HTTPError as e:
                last = f"could not be reached ({type(e).__name__})"
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return response
                last = f"answered {response.status_code}"
                asked = parse_retry_after(response.headers.get("Retry-After"))
                if asked is not None:
                    if asked > POLICY.retry_after_cap:
                        break
                    wait = asked
            if attempt + 1 < POLICY.attempts:
                time.sleep(wait)
        raise auth_failed(self.host, f"Panopto at {self.host} {last} while signing in; it may be down or busy. "
                          "Try again in a few minutes.", retryable=True)

    def _token(self, form: dict[str, str]) -> TokenSet:
        response = self._post("token", form)
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if "json" not in ctype:
            if "html" in ctype or response.text.lstrip()[:1] == "<":
                raise auth_failed(self.host, f"Panopto at {self.host} answered with a web page (a sign-in page?) "
                                  "instead of a token: check that the Panopto server address is right (the "
                                  "address you open Panopto at) and that nothing in between asks for a login.")
            raise auth_failed(self.host, f"Panopto at {self.host} answered {response.status_code} with "
                              f"{ctype or 'no content type'} instead of a token.")
        try:
            data = response.json()
        except ValueError:
            raise auth_failed(self.host, f"Panopto at {self.host} sent a token answer that is not valid JSON.") \
                from None
        if not isinstance(data, dict):
            raise auth_failed(self.host, f"Panopto at {self.host} sent an unexpected token answer.")
        if response.status_code != 200 or "error" in data:
            self._refused(str(data.get("error") or response.status_code), str(data.get("error_description") or ""))
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise auth_failed(self.host, f"Panopto at {self.host} answered without an access token.")
        try:
            lifetime = int(data.get("expires_in") or DEFAULT_LIFETIME)
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        refresh = data.get("refresh_token")
        return TokenSet(access_token=token, expires_at=self.now() + timedelta(seconds=max(lifetime, 1)),
                        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
                        scope=str(data.get("scope") or ""))

    def _refused(self, error: str, description: str) -> None:
        detail = description[:200]
        if error == "invalid_grant":
            raise InvalidGrant(self.host, detail or "the grant is invalid, expired or revoked")
        if error == "invalid_client":
            raise auth_failed(self.host, f"Panopto at {self.host} does not accept Handouts' API client (id "
                              f"{self.server.client_id}): check the client id and secret configured for this "
                              "server (Panopto: System → API Clients).")
        if error in ("unauthorized_client", "unsupported_grant_type"):
            raise auth_failed(self.host, f"Panopto at {self.host} does not allow this kind of sign-in for "
                              f"Handouts' API client ({error}): the client must be a \"Server-side Web "
                              "Application\" (and \"User Based Server Application\" for password sign-in).")
        if error == "invalid_scope":
            raise auth_failed(self.host, f"Panopto at {self.host} refused the scopes '{SCOPES}' for Handouts' "
                              "API client.")
        raise auth_failed(self.host, f"Panopto at {self.host} refused the sign-in ({error}"
                          + (f": {detail}" if detail else "") + ").")
