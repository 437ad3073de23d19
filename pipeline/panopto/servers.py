"""Panopto servers a tenant may fetch from: one from settings (every tenant), more per tenant in `panopto_servers`.

A link is fetched only from a server configured for the job's tenant; that list is also what keeps a pasted
link from steering our requests (and a user's bearer token) to some other host. Client secrets and service
passwords are stored encrypted (`pipeline.crypto.cipher_for(settings, "panopto")`) and decrypted only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..crypto import cipher_for
from ..errors import ConfigError, InputError
from ..models import Base, utcnow
from ..settings import Settings
from .links import PanoptoLink

SETTINGS_TENANT = "*"   # the settings server serves every tenant
CIPHER_PURPOSE = "panopto"


@dataclass(frozen=True)
class PanoptoServer:
    """One Panopto server as a tenant configured it. Secrets are plain here (decrypted); never log this."""

    tenant: str
    base_url: str                 # scheme://host[:port], no trailing slash, no path
    client_id: str
    client_secret: str = ""
    username: str | None = None
    password: str | None = None
    service_user_allowed: bool = False

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def netloc(self) -> str:
        return urlsplit(self.base_url).netloc.lower()

    def __repr__(self) -> str:  # never shows a secret
        return (f"PanoptoServer(tenant={self.tenant!r}, base_url={self.base_url!r}, client_id={self.client_id!r}, "
                f"service_user={'yes' if self.username else 'no'}, service_user_allowed={self.service_user_allowed})")


class PanoptoServerRow(Base):
    """A tenant's Panopto server; the secret columns hold ciphertext."""

    __tablename__ = "panopto_servers"
    __table_args__ = (UniqueConstraint("tenant", "host", name="uq_panopto_servers_tenant_host"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128))
    host: Mapped[str] = mapped_column(String(255))               # host[:port], lower-case
    base_url: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(Text)              # encrypted
    username: Mapped[str | None] = mapped_column(String(255))
    password: Mapped[str | None] = mapped_column(Text)            # encrypted
    service_user_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def normalise_base_url(value: str, *, allow_http: bool, variable: str = "PANOPTO_HOST") -> str:
    """`scheme://host[:port]` from a host or a base URL; http only when private URLs are allowed (tests)."""
    text = (value or "").strip().rstrip("/")
    if not text:
        raise ConfigError(variable, "empty; give the Panopto host, e.g. uni.hosted.panopto.com")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ConfigError(variable, f"'{value}' is not an https address of a Panopto server")
    if scheme == "http" and not allow_http:
        raise ConfigError(variable, f"'{value}' uses http; Panopto needs https (http is allowed only with "
                          "HANDOUTS_ALLOW_PRIVATE_URLS, for tests)")
    try:
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise ConfigError(variable, f"'{value}' has a malformed port") from None
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(variable, f"'{value}' is not a plain server address; give just the host, e.g. "
                          "uni.hosted.panopto.com")
    if parts.path.rstrip("/").lower() not in ("", "/panopto"):
        raise ConfigError(variable, f"'{value}' has a path ({parts.path}); give the server, e.g. "
                          "https://uni.hosted.panopto.com (with or without /Panopto)")
    return f"{scheme}://{parts.netloc.lower()}"


def settings_server(settings: Settings) -> PanoptoServer | None:
    """The server PANOPTO_HOST names, or None when it is unset."""
    if not settings.panopto_host:
        return None
    base = normalise_base_url(settings.panopto_host, allow_http=settings.allow_private_urls)
    if not settings.panopto_client_id:
        raise ConfigError("PANOPTO_CLIENT_ID", "PANOPTO_HOST is set but the OAuth client id is not; create a "
                          "\"Server-side Web Application\" API client in Panopto and set its id")
    secret = settings.panopto_client_secret.get_secret_value() if settings.panopto_client_secret else ""
    password = settings.panopto_password.get_secret_value() if settings.panopto_password else None
    return PanoptoServer(SETTINGS_TENANT, base, settings.panopto_client_id, secret, settings.panopto_username or None,
                         password, bool(settings.panopto_allow_service_user and settings.panopto_username))


def _server(row: PanoptoServerRow, settings: Settings) -> PanoptoServer:
    cipher = cipher_for(settings, CIPHER_PURPOSE)
    return PanoptoServer(row.tenant, row.base_url, row.client_id, cipher.decrypt(row.client_secret) or "",
                         row.username, cipher.decrypt(row.password), bool(row.service_user_allowed))


def add_server(s: Session, settings: Settings, *, tenant: str, host: str, client_id: str, client_secret: str,
               username: str | None = None, password: str | None = None,
               service_user_allowed: bool = False) -> PanoptoServer:
    """Add or replace a tenant's server (one row per tenant and host); secrets are encrypted before storing."""
    tenant = (tenant or "").strip()
    if not tenant:
        raise InputError("--tenant is empty: give the tenant the server is for (local, slack:T…, lti:…)")
    if not (client_id or "").strip():
        raise InputError("--client-id is empty: give the id of the Panopto API client")
    if not client_secret:
        raise InputError("--client-secret is empty: give the secret of the Panopto API client")
    if bool(username) != bool(password):
        raise InputError("--username and --password go together: give both for a service user, or neither")
    if service_user_allowed and not username:
        raise InputError("--allow-service-user needs --username and --password (the service user)")
    try:
        base = normalise_base_url(host, allow_http=settings.allow_private_urls, variable="--host")
    except ConfigError as e:
        raise InputError(e.message) from None
    cipher = cipher_for(settings, CIPHER_PURPOSE)
    netloc = urlsplit(base).netloc
    row = s.scalars(select(PanoptoServerRow).where(PanoptoServerRow.tenant == tenant,
                                                   PanoptoServerRow.host == netloc)).first()
    if row is None:
        row = PanoptoServerRow(tenant=tenant, host=netloc)
        s.add(row)
    row.base_url, row.client_id = base, client_id.strip()
    row.client_secret = cipher.encrypt(client_secret)
    row.username = username or None
    row.password = cipher.encrypt(password) if password else None
    row.service_user_allowed = bool(service_user_allowed)
    s.flush()
    return _server(row, settings)


def remove_server(s: Session, *, tenant: str, host: str, settings: Settings) -> bool:
    """Forget a tenant's server; False when there was none."""
    try:
        netloc = urlsplit(normalise_base_url(host, allow_http=True, variable="--host")).netloc
    except ConfigError as e:
        raise InputError(e.message) from None
    row = s.scalars(select(PanoptoServerRow).where(PanoptoServerRow.tenant == tenant,
                                                   PanoptoServerRow.host == netloc)).first()
    if row is None:
        return False
    s.delete(row)
    s.flush()
    return True


def list_servers(s: Session, settings: Settings, tenant: str | None = None) -> list[PanoptoServer]:
    """Every stored server (of one tenant, if given), then the settings server."""
    q = select(PanoptoServerRow).order_by(PanoptoServerRow.tenant, PanoptoServerRow.host)
    if tenant is not None:
        q = q.where(PanoptoServerRow.tenant == tenant)
    found = [_server(r, settings) for r in s.scalars(q)]
    extra = settings_server(settings)
    return found + ([extra] if extra else [])


def servers_for(s: Session, settings: Settings, tenant: str) -> list[PanoptoServer]:
    """The servers this tenant may fetch from: its own first, then the settings server."""
    return list_servers(s, settings, tenant)


def server_for_link(s: Session, settings: Settings, tenant: str, link: PanoptoLink) -> PanoptoServer:
    """The tenant's server the link points at; InputError saying why when the tenant has none of that host."""
    servers = servers_for(s, settings, tenant)
    for server in servers:
        if server.netloc == link.netloc and server.base_url.split("://")[0] == link.base_url.split("://")[0]:
            return server
    for server in servers:  # an http:// link to an https server is the same server
        if server.netloc == link.netloc:
            return server
    if not servers:
        raise InputError(f"{link.netloc} is a Panopto server, but no Panopto server is set up for this workspace "
                         f"({tenant}); an administrator adds one with `handouts panopto add-server` or PANOPTO_HOST.",
                         source=link.netloc, tenant=tenant)
    known = ", ".join(sorted({x.netloc for x in servers}))
    raise InputError(f"{link.netloc} is not this workspace's Panopto server ({known}): Handouts fetches only from "
                     "the Panopto server an administrator set up; send a link from that server, or ask the "
                     "administrator to add this one.", source=link.netloc, tenant=tenant)


class ServerRegistry:
    """The stored servers as a directory the account side asks per tenant (read fresh each time, so a server
    added or removed with `handouts panopto` counts at once in every process)."""

    def __init__(self, settings: Settings, sessions) -> None:
        self.settings = settings
        self.sessions = sessions

    def for_tenant(self, tenant: str) -> list[PanoptoServer]:
        with self.sessions() as s:
            return servers_for(s, self.settings, tenant)
