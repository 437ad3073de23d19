"""Slack adapter: `/handout <url>` in a channel, progress and files in its thread, App Home, OAuth installs.

    app          the Bolt app (single-workspace or OAuth), listeners registered
    listeners/   commands, actions (buttons), events (App Home, uninstall)
    command      slash-command text → link and options, or a specific error
    start        after the ack: checks, rate limits, the job, its message, the queue
    blocks       Block Kit builders, each message re-rendered whole from the job row
    store, crypto, tables   installation/OAuth-state stores on migrated tables, tokens encrypted at rest
    ratelimit, prefs        per-user/per-workspace limits; a user's default profile

The worker-side notifier is bot.notifier (slack_sdk only). Bolt is imported only by init_app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from pipeline.runtime import Runtime


def init_app(flask_app: "Flask", rt: "Runtime") -> None:
    """Register /slack/events (and /slack/install, /slack/oauth_redirect in OAuth mode) when Slack is on."""
    if not rt.settings.slack_enabled:
        return
    from flask import request
    from slack_bolt.adapter.flask import SlackRequestHandler

    from .app import build_bolt_app

    bolt = build_bolt_app(rt)
    handler = SlackRequestHandler(bolt)

    def slack_endpoint():
        return handler.handle(request)

    flask_app.add_url_rule("/slack/events", "slack_events", slack_endpoint, methods=["POST"])
    if rt.settings.slack_client_id:
        flask_app.add_url_rule("/slack/install", "slack_install", slack_endpoint, methods=["GET"])
        flask_app.add_url_rule("/slack/oauth_redirect", "slack_oauth_redirect", slack_endpoint, methods=["GET"])
    flask_app.extensions["handouts_slack"] = bolt
