"""Panopto servers a tenant may fetch from."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


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

    def __repr__(self) -> str:  # never shows a secret
        return (f"PanoptoServer(tenant={self.tenant!r}, base_url={self.base_url!r}, client_id={self.client_id!r}, "
                f"service_user={'yes' if self.username else 'no'}, service_user_allowed={self.service_user_allowed})")
