"""What a stage may ask about Panopto: the tenant's servers, and a bearer for a person on one of them.

The Runtime holds one `PanoptoAccess`; the fetch stage reaches it through its context and never opens a
database session itself or sees how bearers are made (the `PanoptoCredentials` port does that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from ..settings import Settings
from .credentials import PanoptoAuthFailed, PanoptoCredentials, PanoptoNotLinked
from .links import PanoptoLink
from .servers import PanoptoServer, server_for_link, servers_for

T = TypeVar("T")


@dataclass(eq=False)
class PanoptoAccess:
    settings: Settings
    sessions: sessionmaker[Session]
    credentials: PanoptoCredentials | None = None

    def __repr__(self) -> str:
        return f"PanoptoAccess(credentials={type(self.credentials).__name__})"

    def servers(self, tenant: str) -> list[PanoptoServer]:
        """The servers this tenant may fetch from."""
        with self.sessions() as s:
            return servers_for(s, self.settings, tenant)

    def server_for(self, tenant: str, link: PanoptoLink) -> PanoptoServer:
        """The tenant's server for this link; InputError with the reason when it is not one of them."""
        with self.sessions() as s:
            return server_for_link(s, self.settings, tenant, link)

    def bearer(self, tenant: str, user: str | None, server: PanoptoServer) -> str:
        """A bearer for `user` on `server`, from the credentials port; PanoptoNotLinked when there is none."""
        if self.credentials is None:
            raise PanoptoNotLinked(server.netloc, tenant, user, (
                f"Panopto on {server.netloc}: this Handouts process has no way to sign in to Panopto (no Panopto "
                "account linking is configured); an administrator sets up the Panopto API client, then connect "
                "your Panopto account and send the link again."))
        token = self.credentials.bearer_for(tenant=tenant, user=user, server=server)
        if not token:
            raise PanoptoNotLinked(server.netloc, tenant, user)
        return token

    def with_bearer(self, tenant: str, user: str | None, server: PanoptoServer, use: Callable[[str], T]) -> T:
        """`use(bearer)`; when Panopto refuses a bearer before its expiry (revoked at Panopto, rotated by another
        client), the credentials port forgets it and `use` runs once more with a fresh one."""
        token = self.bearer(tenant, user, server)
        try:
            return use(token)
        except PanoptoAuthFailed:
            forget = getattr(self.credentials, "invalidate", None)
            if forget is None:
                raise
            forget(tenant=tenant, user=user, server=server, token=token)
        return use(self.bearer(tenant, user, server))
