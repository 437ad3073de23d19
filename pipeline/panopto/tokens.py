"""Each person's Panopto tokens, encrypted at rest: the `PanoptoCredentials` the Panopto source asks.

`bearer_for` answers from the stored access token while it has more than HANDOUTS_PANOPTO_REFRESH_MARGIN seconds
left, and otherwise refreshes it. Panopto rotates refresh tokens (the old one dies when it is used), so two
workers must never spend the same one: the refresh happens with the row locked (SELECT … FOR UPDATE, or
SQLite's write lock), the new pair is written with a compare-and-swap on `version`, and a worker that waited
for the lock re-reads the row and uses the winner's fresh token. A refresh token Panopto no longer accepts
deletes the link and asks the person to connect again.

With no token of the person's own, a tenant's service user (password grant) is used only where the admin
allowed it for that server (`service_user_allowed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .. import db
from ..crypto import SecretCipher, cipher_for
from ..logs import get_logger
from ..models import utcnow
from ..settings import Settings
from .contract import auth_failed, not_linked
from .oauth import InvalidGrant, PanoptoOAuth, TokenSet, server_host
from .tables import SERVICE_USER, PanoptoToken

log = get_logger("handouts.panopto.tokens")

OAuthFactory = Callable[[object], PanoptoOAuth]
RECONNECT = ("Panopto no longer accepts the link to your account on {host} (it was revoked or has expired): "
             "connect your Panopto account again.")
CAS_ROUNDS = 5


def aware(value: datetime | None) -> datetime | None:
    """A stored time as UTC (SQLite gives naive datetimes back)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class LinkInfo:
    """What may be shown of a link: whose, where, since when, how (never a token)."""

    tenant: str
    user: str
    server_host: str
    grant: str
    panopto_user: str | None
    linked_at: datetime


class TokenStore:
    """Stored Panopto tokens per tenant + user + server host; implements PanoptoCredentials."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], *,
                 oauth: OAuthFactory | None = None, now: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.sessions = sessions
        self.now = now
        self._oauth = oauth or (lambda server: PanoptoOAuth(settings, server, now=now))
        self.cipher: SecretCipher = cipher_for(settings, "panopto")

    def oauth(self, server) -> PanoptoOAuth:
        """An OAuth client for `server` (close it when done, or use it in a with block)."""
        return self._oauth(server)

    # ---- PanoptoCredentials -----------------------------------------------------------------------------------
    def bearer_for(self, *, tenant: str, user: str | None, server) -> str:
        """An access token for this person on `server`: their own, else the service user where allowed."""
        host = server_host(server)
        if user:
            token = self._bearer(tenant, user, server, host)
            if token is not None:
                return token
        if getattr(server, "service_user_allowed", False) and server.username and server.password:
            token = self._bearer(tenant, SERVICE_USER, server, host)
            return token if token is not None else self._service_login(tenant, server, host)
        raise not_linked(host, tenant, user)

    def invalidate(self, *, tenant: str, user: str | None, server, token: str) -> None:
        """Panopto refused `token` (401) before its expiry: drop it, so the next bearer_for refreshes.

        Only a row still holding that very token is touched: another worker's newer token stays.
        """
        host = server_host(server)
        for owner in ([user] if user else []) + [SERVICE_USER]:
            with db.transaction(self.sessions) as s:
                row = s.scalar(select(PanoptoToken).where(*self._owner(tenant, owner, host)))
                if row is not None and self.cipher.decrypt(row.access_token) == token:
                    s.execute(update(PanoptoToken).where(PanoptoToken.id == row.id,
                                                         PanoptoToken.version == row.version)
                              .values(access_token=None, access_expires_at=None))
                    return

    # ---- storing and forgetting -------------------------------------------------------------------------------
    def save(self, *, tenant: str, user: str, server, tokens: TokenSet, grant: str,
             panopto_user: str | None = None) -> None:
        """Store (or replace) a person's tokens on a server, encrypted; a new link starts a new version."""
        host = server_host(server)
        values = dict(refresh_token=self.cipher.encrypt(tokens.refresh_token),
                      access_token=self.cipher.encrypt(tokens.access_token), access_expires_at=tokens.expires_at,
                      grant=grant, panopto_user=panopto_user, updated_at=self.now())
        for _ in range(2):  # a second insert of the same owner at once becomes an update
            try:
                with db.transaction(self.sessions) as s:
                    done = s.execute(update(PanoptoToken).where(*self._owner(tenant, user, host))
                                     .values(version=PanoptoToken.version + 1, **values)).rowcount
                    if not done:
                        s.add(PanoptoToken(tenant=tenant, user_id=user, server_host=host, version=1,
                                           created_at=self.now(), **values))
                log.info("panopto_linked", tenant=tenant, user=user, host=host, grant=grant)
                return
            except IntegrityError:
                continue
        raise auth_failed(host, "the Panopto link could not be stored; try connecting again.", retryable=True)

    def forget(self, *, tenant: str, user: str, server) -> bool | None:
        """Revoke the refresh token at Panopto, then delete the link. None: there was none; else revoked?"""
        host = server_host(server)
        with self.sessions() as s:
            row = s.scalar(select(PanoptoToken).where(*self._owner(tenant, user, host)))
            secret = self.cipher.decrypt(row.refresh_token) if row else None
        if row is None:
            return None
        revoked = False
        if secret:
            with self.oauth(server) as client:
                revoked = client.revoke(secret)
        with db.transaction(self.sessions) as s:
            s.execute(delete(PanoptoToken).where(*self._owner(tenant, user, host)))
        log.info("panopto_unlinked", tenant=tenant, user=user, host=host, revoked=revoked)
        return revoked

    def link(self, tenant: str, user: str, host: str) -> LinkInfo | None:
        """The person's link on a server host, if any."""
        with self.sessions() as s:
            row = s.scalar(select(PanoptoToken).where(*self._owner(tenant, user, host)))
            if row is None:
                return None
            return LinkInfo(row.tenant, row.user_id, row.server_host, row.grant, row.panopto_user,
                            aware(row.created_at))

    # ---- internals -------------------------------------------------------------------------------------------
    @staticmethod
    def _owner(tenant: str, user: str, host: str):
        return (PanoptoToken.tenant == tenant, PanoptoToken.user_id == user, PanoptoToken.server_host == host)

    def _fresh(self, row: PanoptoToken) -> bool:
        expires = aware(row.access_expires_at)
        margin = timedelta(seconds=self.settings.panopto_refresh_margin)
        return bool(row.access_token) and expires is not None and expires - margin > self.now()

    def _bearer(self, tenant: str, user: str, server, host: str) -> str | None:
        """The stored access token, refreshed when it is about to expire; None when there is no link."""
        for _ in range(CAS_ROUNDS):
            with self.sessions() as s:
                row = s.scalar(select(PanoptoToken).where(*self._owner(tenant, user, host)))
                if row is None:
                    return None
                if self._fresh(row):
                    return self.cipher.decrypt(row.access_token)
                row_id = row.id
            outcome = self._refresh(row_id, tenant, user, server, host)
            if outcome is not None:
                return outcome
        raise auth_failed(host, f"the Panopto token on {host} kept changing while it was renewed; try again.",
                          retryable=True)

    def _refresh(self, row_id: int, tenant: str, user: str, server, host: str) -> str | None:
        """Refresh with the row locked; the token to use, or None to read the row again (the CAS lost)."""
        gone = False
        with db.transaction(self.sessions) as s:
            row = db.locked(s, PanoptoToken, row_id)
            if row is None:  # disconnected meanwhile
                gone = True
            elif self._fresh(row):  # another worker refreshed while this one waited for the lock: use its token
                return self.cipher.decrypt(row.access_token)
            else:
                seen = row.version
                secret = self.cipher.decrypt(row.refresh_token)
                tokens = None
                if secret:
                    try:
                        with self.oauth(server) as client:
                            tokens = client.refresh(secret)
                    except InvalidGrant:
                        tokens = None
                if tokens is None and user == SERVICE_USER:
                    tokens = self._password_tokens(server, host)
                if tokens is None:
                    s.execute(delete(PanoptoToken).where(PanoptoToken.id == row_id, PanoptoToken.version == seen))
                    gone = True
                else:
                    won = s.execute(update(PanoptoToken).where(PanoptoToken.id == row_id,
                                                               PanoptoToken.version == seen).values(
                        refresh_token=self.cipher.encrypt(tokens.refresh_token or secret),
                        access_token=self.cipher.encrypt(tokens.access_token),
                        access_expires_at=tokens.expires_at, version=seen + 1, updated_at=self.now())).rowcount
                    if not won:
                        return None
                    log.info("panopto_token_refreshed", tenant=tenant, user=user, host=host, version=seen + 1)
                    return tokens.access_token
        if gone:
            if user == SERVICE_USER:
                return None
            log.info("panopto_link_lapsed", tenant=tenant, user=user, host=host)
            raise not_linked(host, tenant, user, RECONNECT.format(host=host))
        return None

    def _password_tokens(self, server, host: str) -> TokenSet:
        try:
            with self.oauth(server) as client:
                return client.password(server.username, server.password)
        except InvalidGrant:
            raise auth_failed(host, f"Panopto at {host} refused the service user '{server.username}' (wrong or "
                              "changed password?): the administrator must update it.") from None

    def _service_login(self, tenant: str, server, host: str) -> str:
        tokens = self._password_tokens(server, host)
        self.save(tenant=tenant, user=SERVICE_USER, server=server, tokens=tokens, grant="password",
                  panopto_user=server.username)
        return tokens.access_token
