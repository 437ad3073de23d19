"""Linking a person's Panopto account: connect states, the OAuth callback, disconnect, status, password login.

    begin_connect    a single-use, short-lived state on the server; the link carries only its opaque id
    authorize_url    /panopto/connect/<state> → Panopto's consent page (the state not spent yet)
    complete         /panopto/callback: spend the state once, trade the code, store the tokens encrypted
    start_pending    the request the person made before linking, started through submit_job
    disconnect       revoke at Panopto and delete, on every server of the tenant
    login            the password grant, for `handouts panopto login`

Adapters (Slack, web, CLI) call these and only translate the answers. Which Panopto servers a tenant has comes
from a `ServerDirectory` the composition root provides.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from .. import db
from ..addresses import Address, dump_address, parse_address
from ..errors import ConfigError, InputError
from ..logs import get_logger
from ..models import utcnow
from ..settings import Settings
from .credentials import PanoptoNotLinked
from .oauth import InvalidGrant, server_host
from .tables import PanoptoConnectState
from .tokens import LinkInfo, TokenStore, aware

if TYPE_CHECKING:
    from ..runtime import Runtime

log = get_logger("handouts.panopto.accounts")

CALLBACK_PATH = "/panopto/callback"
CONNECT_PATH = "/panopto/connect/"
STATE_BYTES = 32


class ServerDirectory(Protocol):
    """The Panopto servers configured per tenant (PanoptoServer: tenant, base_url, client_id, client_secret,
    username, password, service_user_allowed)."""

    def for_tenant(self, tenant: str) -> Sequence[Any]: ...


class StaticServers:
    """A fixed list of servers (one from settings, or a test's)."""

    def __init__(self, servers: Sequence[Any]) -> None:
        self.servers = list(servers)

    def for_tenant(self, tenant: str) -> list[Any]:
        return [s for s in self.servers if s.tenant in (tenant, "*")]


class ConnectProblem(InputError):
    """A connect link or callback that cannot complete: unknown, used, expired, refused, or without a code."""

    code = "panopto_connect"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class Connected:
    """A finished connection: who linked which server, and the request to start now (if any)."""

    tenant: str
    user: str
    server_host: str
    pending: dict | None


@dataclass(frozen=True)
class LinkStatus:
    """One server's link state for a person, for App Home and the CLI."""

    server_host: str
    linked: LinkInfo | None
    service_user: bool


def pending_job(*, source: str, tenant: str, owner: str, origin: str, address: Address, scope: str | None,
                options: dict | None, idempotency_key: str | None) -> dict:
    """The fields of a job to start once the account is linked, as stored in a connect state (no secrets)."""
    return {"source": source, "tenant": tenant, "owner": owner, "origin": str(origin),
            "address": dump_address(address), "scope": scope, "options": dict(options or {}),
            "idempotency_key": idempotency_key}


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class PanoptoAccounts:
    """The account side of Panopto for one process: servers, tokens, connect states."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], servers: ServerDirectory, *,
                 tokens: TokenStore | None = None, credentials=None,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.sessions = sessions
        self.servers = servers
        self.now = now
        self.tokens = tokens or TokenStore(settings, sessions, now=now)
        # the process's credentials port, when it is not our own token store (an institution's token broker):
        # it may know people who never connected here
        self.credentials = credentials if credentials is not None and credentials is not self.tokens else None

    # ---- servers -------------------------------------------------------------------------------------------
    def servers_of(self, tenant: str) -> list[Any]:
        """The tenant's Panopto servers."""
        return list(self.servers.for_tenant(tenant))

    def server(self, tenant: str, host: str) -> Any | None:
        """The tenant's server on `host` (host[:port], any case), or None."""
        host = host.lower()
        return next((s for s in self.servers_of(tenant) if server_host(s) == host), None)

    def server_for_link(self, tenant: str, url: str) -> Any:
        """The tenant's server a Panopto link points at; InputError naming the host otherwise."""
        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1].lower()
        found = self.server(tenant, host)
        if found is not None:
            return found
        known = ", ".join(server_host(s) for s in self.servers_of(tenant))
        if not known:
            raise InputError(f"{parts.hostname} is a Panopto server, but no Panopto server is set up for you here "
                             "yet: ask the Handouts administrator to add it (handouts panopto add-server).",
                             field="url")
        raise InputError(f"{parts.hostname} is not the Panopto server set up for you here ({known}); use a link "
                         "from that server, or ask the Handouts administrator to add this one.", field="url")

    def needs_connect(self, tenant: str, user: str, server) -> bool:
        """True when the person has no link on `server` and no service user may stand in."""
        if self.tokens.link(tenant, user, server_host(server)) is not None:
            return False
        if getattr(server, "service_user_allowed", False) and server.username and server.password:
            return False
        if self.credentials is not None:
            try:
                self.credentials.bearer_for(tenant=tenant, user=user, server=server)
            except PanoptoNotLinked:
                return True
            return False
        return True

    def statuses(self, tenant: str, user: str) -> list[LinkStatus]:
        """The person's link on each of the tenant's servers."""
        return [LinkStatus(server_host(s), self.tokens.link(tenant, user, server_host(s)),
                           bool(getattr(s, "service_user_allowed", False) and s.username and s.password))
                for s in self.servers_of(tenant)]

    # ---- connecting ----------------------------------------------------------------------------------------
    def redirect_uri(self) -> str:
        """Where Panopto sends the browser back; it must be registered on the Panopto API client as it is."""
        base = (self.settings.public_url or "").strip().rstrip("/")
        if not base:
            raise ConfigError("HANDOUTS_PUBLIC_URL", "set it to the web app's public address (e.g. "
                              "https://handouts.example.edu) so Panopto can send people back after they connect")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ConfigError("HANDOUTS_PUBLIC_URL", f"'{base[:100]}' is not a web address; expected e.g. "
                              "https://handouts.example.edu (no query string)")
        return base + CALLBACK_PATH

    def connect_link(self, state: str) -> str:
        """The link a person opens to connect (it holds only the opaque state)."""
        return self.redirect_uri()[: -len(CALLBACK_PATH)] + CONNECT_PATH + state

    def begin_connect(self, *, tenant: str, user: str, server, pending: dict | None = None) -> str:
        """A new single-use state for this person and server; returns the opaque id for the link."""
        self.redirect_uri()  # a missing public address fails now, not when the person clicks
        state = secrets.token_urlsafe(STATE_BYTES)
        now = self.now()
        with db.transaction(self.sessions) as s:
            # spent and lapsed states are of no use to anyone: clear them as new ones are made
            s.execute(delete(PanoptoConnectState).where(PanoptoConnectState.expires_at < now - timedelta(days=1)))
            s.add(PanoptoConnectState(id=_digest(state), tenant=tenant, user_id=user,
                                      server_host=server_host(server), pending=pending, created_at=now,
                                      expires_at=now + timedelta(minutes=self.settings.panopto_connect_minutes)))
        return state

    def _check(self, row: PanoptoConnectState | None) -> PanoptoConnectState:
        if row is None:
            raise ConnectProblem("This Connect Panopto link is not known. Start again from Handouts (run your "
                                 "/handout command again, or use Connect on the Home tab).", reason="unknown")
        if row.used_at is not None:
            raise ConnectProblem("This Connect Panopto link was already used. Each link works once: start again "
                                 "from Handouts for a new one.", reason="used")
        if aware(row.expires_at) <= self.now():
            raise ConnectProblem(f"This Connect Panopto link has expired (links last "
                                 f"{self.settings.panopto_connect_minutes:g} minutes). Start again from Handouts "
                                 "for a new one.", reason="expired")
        return row

    def authorize_url(self, state: str) -> str:
        """Panopto's consent page for a valid, unspent state (the state travels along, opaque)."""
        with self.sessions() as s:
            row = self._check(s.get(PanoptoConnectState, _digest(state)))
            tenant, host = row.tenant, row.server_host
        server = self._server_of_state(tenant, host)
        with self.tokens.oauth(server) as client:
            return client.authorize_url(redirect_uri=self.redirect_uri(), state=state)

    def _server_of_state(self, tenant: str, host: str):
        server = self.server(tenant, host)
        if server is None:
            raise ConnectProblem(f"The Panopto server {host} is no longer set up here; ask the Handouts "
                                 "administrator.", reason="server")
        return server

    def _spend(self, state: str) -> PanoptoConnectState:
        """Mark the state used, once: of two callbacks at once only one gets it."""
        key, now = _digest(state), self.now()
        with db.transaction(self.sessions) as s:
            spent = s.execute(update(PanoptoConnectState).where(
                PanoptoConnectState.id == key, PanoptoConnectState.used_at.is_(None),
                PanoptoConnectState.expires_at > now).values(used_at=now)).rowcount
            row = s.get(PanoptoConnectState, key, populate_existing=True)
            if not spent:
                self._check(row)
                raise ConnectProblem("This Connect Panopto link was already used.", reason="used")
            s.expunge(row)
            return row

    def complete(self, *, state: str | None, code: str | None, error: str | None = None,
                 error_description: str | None = None) -> Connected:
        """The callback: spend the state, trade the code for tokens, store them; ConnectProblem says why not."""
        if not state:
            raise ConnectProblem("Panopto sent you back without the connect state, so this sign-in cannot be "
                                 "matched to a request. Start again from Handouts.", reason="no_state")
        row = self._spend(state)
        if error:
            if error == "access_denied":
                raise ConnectProblem("You did not allow Handouts to use your Panopto account, so nothing was "
                                     "linked and your request was not started. Start again from Handouts if you "
                                     "change your mind.", reason="access_denied")
            raise ConnectProblem(f"Panopto did not link your account ({error}"
                                 + (f": {error_description[:200]}" if error_description else "")
                                 + "). Start again from Handouts, or ask the administrator if it keeps happening.",
                                 reason="error")
        if not code:
            raise ConnectProblem("Panopto sent you back without an authorization code. Start again from "
                                 "Handouts.", reason="no_code")
        server = self._server_of_state(row.tenant, row.server_host)
        try:
            with self.tokens.oauth(server) as client:
                tokens = client.exchange_code(code, redirect_uri=self.redirect_uri())
        except InvalidGrant:
            raise ConnectProblem("Panopto did not accept the sign-in (the code expired or was already used). "
                                 "Start again from Handouts.", reason="invalid_grant") from None
        if not tokens.refresh_token:
            log.warning("panopto_no_refresh_token", host=row.server_host,
                        hint="the API client may not allow offline_access")
        self.tokens.save(tenant=row.tenant, user=row.user_id, server=server, tokens=tokens,
                         grant="authorization_code")
        return Connected(row.tenant, row.user_id, row.server_host, row.pending)

    def start_pending(self, rt: "Runtime", connected: Connected) -> str | None:
        """Start the request made before linking (submit_job); its adapter hears of it as the job's progress."""
        from ..jobs import submit_job

        p = connected.pending
        if not p:
            return None
        if p.get("tenant") != connected.tenant or p.get("owner") != connected.user:
            raise InputError("the pending request belongs to someone else", field="pending")
        queued: list[str] = []
        with rt.transaction() as s:
            job = submit_job(s, queued.append, source=p["source"], tenant=p["tenant"], owner=p["owner"],
                             origin=p["origin"], address=parse_address(p.get("address")), scope=p.get("scope"),
                             options=p.get("options"), idempotency_key=p.get("idempotency_key"), seal=rt.seal)
            job_id = job.id
        rt.emit(job_id, "progress")  # the adapter posts the job's message before a worker picks it up
        for queued_id in queued:
            rt.enqueue(queued_id)
        log.info("panopto_pending_started", job_id=job_id, tenant=connected.tenant)
        return job_id

    # ---- the rest ------------------------------------------------------------------------------------------
    def disconnect(self, *, tenant: str, user: str) -> list[tuple[str, bool]]:
        """Unlink the person on every server of the tenant: (host, revoked at Panopto) per removed link."""
        out = []
        for server in self.servers_of(tenant):
            revoked = self.tokens.forget(tenant=tenant, user=user, server=server)
            if revoked is not None:
                out.append((server_host(server), revoked))
        return out

    def login(self, *, tenant: str, user: str, server, username: str, password: str) -> None:
        """Link with a Panopto user name and password (password grant); InputError if Panopto refuses them."""
        if not username or not password:
            raise InputError("a Panopto user name and password are both needed", field="username")
        try:
            with self.tokens.oauth(server) as client:
                tokens = client.password(username, password)
        except InvalidGrant:
            raise InputError(f"Panopto at {server_host(server)} did not accept the user name '{username}' with "
                             "that password. Check both (a university single-sign-on account may have no Panopto "
                             "password: use Connect Panopto in Slack instead).", field="password") from None
        self.tokens.save(tenant=tenant, user=user, server=server, tokens=tokens, grant="password",
                         panopto_user=username)


__all__ = ["ConnectProblem", "Connected", "LinkStatus", "PanoptoAccounts", "ServerDirectory", "StaticServers",
           "pending_job"]
