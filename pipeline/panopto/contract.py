"""How the account side raises the credentials port's errors (`pipeline.panopto.credentials` defines them).

The source asks `bearer_for(tenant=, user=, server=)`; the account side answers with an access token or raises
`PanoptoNotLinked` (the person must connect their account: an InputError naming the server, tenant and user)
or `PanoptoAuthFailed` (Panopto refused the sign-in, or could not be reached: then it is `retryable`).
"""

from __future__ import annotations

from .credentials import PanoptoAuthFailed, PanoptoCredentials, PanoptoNotLinked


def not_linked(server_host: str, tenant: str, user: str | None, message: str | None = None) -> PanoptoNotLinked:
    """A PanoptoNotLinked for this person and server."""
    return PanoptoNotLinked(server_host, tenant, user, message)


def auth_failed(server_host: str, message: str, *, retryable: bool = False, tenant: str = "",
                user: str | None = None) -> PanoptoAuthFailed:
    """A PanoptoAuthFailed naming the server; `retryable` when Panopto was busy or down rather than refusing."""
    error = PanoptoAuthFailed(server_host, tenant, user, message)
    error.retryable = retryable
    return error


__all__ = ["PanoptoAuthFailed", "PanoptoCredentials", "PanoptoNotLinked", "auth_failed", "not_linked"]
