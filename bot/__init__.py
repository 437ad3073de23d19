"""Slack adapter: `/handout <url>` in a channel, progress and files in its thread, App Home, OAuth installs.

    app          the Bolt app (single-workspace or OAuth), listeners registered
    listeners/   commands, actions (buttons), events (App Home, uninstall)
    command      slash-command text → link and options, or a specific error
    start        after the ack: checks, rate limits, the job, its message, the queue
    blocks       Block Kit builders, each message re-rendered whole from the job row
    store, tables   installation/OAuth-state stores on migrated tables, tokens encrypted at rest (pipeline.crypto)
    ratelimit, prefs        per-user/per-workspace limits; a user's default profile

The worker-side notifier is bot.notifier (slack_sdk only). Bolt is imported only by init_app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from pipeline.runtime import Runtime


MAX_SLACK_BODY = 1024 * 1024  # Slack sends a few kilobytes; slash commands and interactions stay far below this


def init_app(flask_app: "Flask", rt: "Runtime") -> None:
    """Register /slack/events (and /slack/install, /slack/oauth_redirect in OAuth mode) when Slack is on."""
    if not rt.settings.slack_enabled:
        return
    import json
    from urllib.parse import parse_qs

    from flask import Response, request
    from slack_bolt.adapter.flask import SlackRequestHandler

    from .app import build_bolt_app

    bolt = build_bolt_app(rt, flask_app.extensions.get("handouts_panopto"))
    handler = SlackRequestHandler(bolt)

    def slack_endpoint():
        # Slack's own requests are small: a bigger body is refused before it is read, and a form whose
        # payload is not JSON is a bad request, not an error of ours (both before Bolt checks the signature).
        if (request.content_length or 0) > MAX_SLACK_BODY:
            return Response("request body too large for a Slack request", status=413, mimetype="text/plain")
        if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
            body = request.get_data(cache=True, as_text=True)  # cached: Bolt reads the same bytes to verify
            for payload in parse_qs(body).get("payload", []):
                try:
                    json.loads(payload)
                except ValueError:
                    return Response("the payload field is not JSON", status=400, mimetype="text/plain")
        return handler.handle(request)

    flask_app.add_url_rule("/slack/events", "slack_events", slack_endpoint, methods=["POST"])
    if rt.settings.slack_client_id:
        flask_app.add_url_rule("/slack/install", "slack_install", slack_endpoint, methods=["GET"])
        flask_app.add_url_rule("/slack/oauth_redirect", "slack_oauth_redirect", slack_endpoint, methods=["GET"])
    flask_app.extensions["handouts_slack"] = bolt
