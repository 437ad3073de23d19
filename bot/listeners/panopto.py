"""Panopto accounts in Slack: `/handout panopto connect|disconnect|status`, and the Home tab's buttons.

The linking itself is the domain's (pipeline.panopto.accounts); these only translate to and from Slack.
"""

from __future__ import annotations

import structlog

from pipeline.errors import HandoutsError

from ..blocks import PANOPTO_CONNECT, PANOPTO_DISCONNECT, connect_message, escape_mrkdwn
from ..deps import Deps, tenant_of
from .events import publish_home

log = structlog.get_logger("handouts.slack.panopto")

NOT_SET_UP = "Panopto is not set up on this Handouts server; ask its administrator to add your Panopto server."


def disconnect_text(deps: Deps, tenant: str, user: str) -> str:
    """Unlink the person everywhere in the tenant and say what happened."""
    removed = deps.panopto.disconnect(tenant=tenant, user=user)
    if not removed:
        return "Your Panopto account was not linked here, so there was nothing to disconnect."
    lines = []
    for host, revoked in removed:
        lines.append(f":white_check_mark: Disconnected your Panopto account on {host}"
                     + (" and revoked Handouts' access at Panopto." if revoked else
                        ". Panopto could not be reached to revoke the access: Handouts has forgotten it; you can "
                        "also remove it under User Settings → API Clients in Panopto."))
    return "\n".join(lines)


def panopto_command(deps: Deps, action: str, payload: dict, respond) -> None:
    """Answer `/handout panopto <action>` (after the ack) with an ephemeral message."""
    if deps.panopto is None:
        respond(response_type="ephemeral", replace_original=False, text=f":warning: {NOT_SET_UP}")
        return
    tenant, user = tenant_of(payload.get("team_id"), payload.get("enterprise_id")), payload["user_id"]
    try:
        if action == "disconnect":
            respond(response_type="ephemeral", replace_original=False, text=disconnect_text(deps, tenant, user))
            return
        statuses = deps.panopto.statuses(tenant, user)
        if not statuses:
            respond(response_type="ephemeral", replace_original=False, text=f":warning: {NOT_SET_UP}")
            return
        for st in statuses:
            if st.linked and action != "connect":
                respond(response_type="ephemeral", replace_original=False,
                        text=f":white_check_mark: Your Panopto account on {st.server_host} is linked "
                             f"(since {st.linked.linked_at:%Y-%m-%d}).")
                continue
            if not st.linked and action == "status" and st.service_user:
                respond(response_type="ephemeral", replace_original=False,
                        text=f"Your own Panopto account on {st.server_host} is not linked; Handouts uses this "
                             "workspace's Panopto service account there. `/handout panopto connect` uses yours.")
                continue
            server = deps.panopto.server(tenant, st.server_host)
            state = deps.panopto.begin_connect(tenant=tenant, user=user, server=server)
            text, blocks = connect_message(st.server_host, deps.panopto.connect_link(state),
                                           deps.rt.settings.panopto_connect_minutes, pending=False)
            respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)
    except HandoutsError as e:
        respond(response_type="ephemeral", replace_original=False, text=f":warning: {escape_mrkdwn(e.message)}")


def register(app, deps: Deps) -> None:
    """Add the Connect (a link: acknowledged only) and Disconnect buttons."""

    @app.action(PANOPTO_CONNECT)
    def connect_pressed(ack):
        ack()  # the button opens its link in the browser; Slack still tells the app it was pressed

    @app.action(PANOPTO_DISCONNECT)
    def disconnect_pressed(ack, body, client, context):
        ack()
        user = body["user"]["id"]
        if deps.panopto is not None:
            try:
                disconnect_text(deps, tenant_of(context.team_id, context.enterprise_id), user)
            except HandoutsError as e:
                log.warning("panopto_disconnect_failed", error=e.message)
        publish_home(deps, client, context.team_id, context.enterprise_id, user)
