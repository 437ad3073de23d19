"""The credentials contract between Panopto accounts and the Panopto source: a bearer token per request.

The source asks `bearer_for(tenant=, user=, server=)`; the account side answers with an access token or raises
`PanoptoNotLinked` (the person must connect their account: an InputError naming the server, tenant and user)
or `PanoptoAuthFailed` (Panopto refused or could not be reached). The source module
(`pipeline.panopto.credentials`) owns these names; until it is present this module defines the same shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..errors import HandoutsError, InputError

if TYPE_CHECKING:
    from .servers import PanoptoServer

try:  # the source's own definitions, when they exist, are the one truth
    from .credentials import PanoptoAuthFailed, PanoptoCredentials, PanoptoNotLinked  # type: ignore[attr-defined]
except ImportError:
    class PanoptoCredentials(Protocol):  # type: ignore[no-redef]
        """Gives the access token to use for one person on one Panopto server."""

        def bearer_for(self, *, tenant: str, user: str | None, server: "PanoptoServer") -> str: ...

    class PanoptoNotLinked(InputError):  # type: ignore[no-redef]
        """No usable Panopto account for this person on this server: they must connect it (again)."""

        code = "panopto_not_linked"

        def __init__(self, message: str | None = None, *, server_host: str, tenant: str,
                     user: str | None) -> None:
            super().__init__(message or f"Connect your Panopto account on {server_host} first, so Handouts can "
                             "open the recording with your own Panopto rights.",
                             server_host=server_host, tenant=tenant, user=user)
            self.server_host, self.tenant, self.user = server_host, tenant, user

    class PanoptoAuthFailed(HandoutsError):  # type: ignore[no-redef]
        """Panopto refused our client or could not be reached while signing in."""

        code = "panopto_auth_failed"

        def __init__(self, message: str, *, server_host: str, retryable: bool = False) -> None:
            super().__init__(message, server_host=server_host)
            self.server_host = server_host
            self.retryable = retryable


def not_linked(server_host: str, tenant: str, user: str | None, message: str | None = None) -> InputError:
    """A PanoptoNotLinked for this person and server."""
    return PanoptoNotLinked(message, server_host=server_host, tenant=tenant, user=user)


def auth_failed(server_host: str, message: str, *, retryable: bool = False) -> HandoutsError:
    """A PanoptoAuthFailed naming the server."""
    return PanoptoAuthFailed(message, server_host=server_host, retryable=retryable)


__all__ = ["PanoptoAuthFailed", "PanoptoCredentials", "PanoptoNotLinked", "auth_failed", "not_linked"]
