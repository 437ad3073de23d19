"""Events: the App Home tab, and uninstalls (tokens removed in OAuth mode by Bolt's revocation listeners)."""

from __future__ import annotations

import structlog

from pipeline.errors import HandoutsError
from pipeline.jobs import Viewer, list_jobs

from ..blocks import home_view, panopto_home_blocks
from ..deps import Deps, tenant_of
from ..notifier import SlackState
from ..prefs import default_profile, profile_names

log = structlog.get_logger("handouts.slack.events")


def publish_home(deps: Deps, client, team_id: str | None, enterprise_id: str | None, user_id: str) -> None:
    """Render and publish one user's Home tab (views.publish replaces it whole, so repeats are harmless)."""
    tenant = tenant_of(team_id, enterprise_id)
    with deps.rt.sessions() as s:
        jobs = list_jobs(s, Viewer(tenant=tenant, owner=user_id), limit=20)
        links = {j.id: {name: f["permalink"] for name, f in SlackState.load(s, j).files.items() if f.get("permalink")}
                 for j in jobs}
        profiles, current = profile_names(s, tenant), default_profile(s, team_id or "", user_id)
    view = home_view(jobs, profiles, current, links, panopto=_panopto_part(deps, tenant, user_id))
    client.views_publish(user_id=user_id, view=view)


def _panopto_part(deps: Deps, tenant: str, user_id: str) -> list[dict] | None:
    """The Home tab's Panopto rows: linked (Disconnect) or not (Connect, with a fresh single-use link)."""
    if deps.panopto is None:
        return None
    rows = []
    try:
        for st in deps.panopto.statuses(tenant, user_id):
            if st.linked:
                rows.append((st.server_host, f"{st.linked.linked_at:%Y-%m-%d}", None))
            else:
                server = deps.panopto.server(tenant, st.server_host)
                state = deps.panopto.begin_connect(tenant=tenant, user=user_id, server=server)
                rows.append((st.server_host, None, deps.panopto.connect_link(state)))
    except HandoutsError as e:  # e.g. no public address configured: the Home tab still shows the rest
        log.warning("slack_home_panopto_unavailable", error=e.message)
        return None
    return panopto_home_blocks(rows) if rows else None


def register(app, deps: Deps) -> None:
    """Add App Home and the uninstall events."""

    @app.event("app_home_opened")
    def home_opened(event, client, context):
        if event.get("tab", "home") != "home":
            return
        publish_home(deps, client, context.team_id, context.enterprise_id, event["user"])

    if deps.oauth:
        app.event("app_uninstalled")(app.default_app_uninstalled_event_listener())
        app.event("tokens_revoked")(app.default_tokens_revoked_event_listener())
    else:
        @app.event("app_uninstalled")
        def uninstalled(context):
            # Single-workspace mode keeps no tokens in the database: the operator removes SLACK_BOT_TOKEN.
            log.warning("slack_app_uninstalled", team_id=context.team_id,
                        hint="remove SLACK_BOT_TOKEN from the settings; Slack will refuse it from now on")

        @app.event("tokens_revoked")
        def revoked(context):
            log.warning("slack_tokens_revoked", team_id=context.team_id)
