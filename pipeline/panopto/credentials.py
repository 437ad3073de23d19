"""The one way Panopto code obtains a bearer token: a `PanoptoCredentials` port.

The source side (session lookup, delivery info, media) never sees a refresh token, a password or a client
secret; it asks `bearer_for(tenant=, user=, server=)` for an access token valid *now* for that person on that
server and uses it for the one request or stage that needs it. The OAuth side (authorization code, refresh
and rotation, password grant, revocation) implements the port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pipeline.errors import InputError

if TYPE_CHECKING:
    from pipeline.panopto.servers import PanoptoServer


class PanoptoNotLinked(InputError):
    """No Panopto account is linked for this person on this server (and no service user may stand in)."""

    code = "panopto_not_linked"

    def __init__(self, server_host: str, tenant: str, user: str | None, detail: str | None = None) -> None:
        who = f"user '{user}'" if user else "this request (no user)"
        super().__init__(detail or (
            f"Panopto on {server_host}: no Panopto account is linked for {who}. Connect your Panopto account "
            "(in Slack: the \"Connect Panopto\" button or App Home; on the command line: `handouts panopto login`) "
            "and send the link again."), server_host=server_host, tenant=tenant, user=user)
        self.server_host = server_host
        self.tenant = tenant
        self.user = user


class PanoptoAuthFailed(InputError):
    """The linked account's token expired or was revoked and could not be refreshed."""

    code = "panopto_auth_failed"

    def __init__(self, server_host: str, tenant: str, user: str | None, detail: str | None = None) -> None:
        super().__init__(detail or (
            f"Panopto on {server_host} no longer accepts the linked account's sign-in (expired or revoked). "
            "Connect your Panopto account again and send the link again."),
            server_host=server_host, tenant=tenant, user=user)
        self.server_host = server_host
        self.tenant = tenant
        self.user = user


@runtime_checkable
class PanoptoCredentials(Protocol):
    def bearer_for(self, *, tenant: str, user: str | None, server: PanoptoServer) -> str:
        """A valid OAuth bearer access token for `user` on `server`, or raise `PanoptoNotLinked` /
        `PanoptoAuthFailed`. Never returns an empty string."""
        ...
