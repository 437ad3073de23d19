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

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from pipeline.runtime import Runtime


MAX_SLACK_BODY = 1024 * 1024  # Slack sends a few kilobytes; slash commands and interactions stay far below this


class BadSlackBody(Exception):
    """A body that is not a Slack request; `status` is the HTTP answer (400, 413 or 415), `str()` its one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def gunzip_capped(data: bytes, limit: int = MAX_SLACK_BODY) -> bytes:
    """A gzip body decoded, never more than `limit` bytes of it (a small bomb stays small): BadSlackBody otherwise."""
    import zlib

    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error:
        raise BadSlackBody(400, "the body says it is gzip but does not decode") from None
    if len(out) > limit or d.unconsumed_tail:
        raise BadSlackBody(413, f"request body too large for a Slack request (over {limit} bytes once decoded)")
    if not d.eof:
        raise BadSlackBody(400, "the gzip body is cut short")
    return out


def check_slack_body(body: str, mimetype: str) -> None:
    """Refuse what Bolt would choke on: a `payload=` that is not a JSON object, a JSON body that is not one."""
    from urllib.parse import parse_qs

    if mimetype == "application/x-www-form-urlencoded":
        fields = parse_qs(body)
        if not all(_json_object(payload) for payload in fields.get("payload", [])):
            raise BadSlackBody(400, "the payload field is not a JSON object")
    elif mimetype == "application/json" and not _json_object(body):
        raise BadSlackBody(400, "the body is not a JSON object")


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def init_app(flask_app: "Flask", rt: "Runtime") -> None:
    """Register /slack/events (and /slack/install, /slack/oauth_redirect in OAuth mode) when Slack is on."""
    if not rt.settings.slack_enabled:
        return
    from flask import Response, request
    from slack_bolt.adapter.flask.handler import SlackRequestHandler, to_flask_response
    from slack_bolt.request import BoltRequest
    from werkzeug.exceptions import RequestEntityTooLarge

    from .app import build_bolt_app

    bolt = build_bolt_app(rt, flask_app.extensions.get("handouts_panopto"))
    handler = SlackRequestHandler(bolt)

    def slack_endpoint():
        # Slack's own requests are small: this route reads at most MAX_SLACK_BODY bytes (a declared length over it
        # is refused unread, a chunked body stops there), a gzip body is decoded to at most as much, and a body
        # Bolt could not read is a bad request, not an error of ours (all before Bolt checks the signature).
        if request.method != "POST":
            return handler.handle(request)
        request.max_content_length = MAX_SLACK_BODY + 1  # a stream reads up to its limit without complaint:
        try:                                             # one byte more tells a body over the limit
            raw = request.get_data(cache=True)
            if len(raw) > MAX_SLACK_BODY:
                raise RequestEntityTooLarge()
            encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding in ("gzip", "x-gzip"):
                raw = gunzip_capped(raw)
            elif encoding not in ("identity", ""):
                raise BadSlackBody(415, "Slack requests are sent plain or gzip-encoded")
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadSlackBody(400, "the body is not UTF-8 text") from None
            check_slack_body(body, request.mimetype)
        except RequestEntityTooLarge:
            return Response(f"request body too large for a Slack request (over {MAX_SLACK_BODY} bytes)",
                            status=413, mimetype="text/plain")
        except BadSlackBody as e:
            return Response(str(e), status=e.status, mimetype="text/plain")
        bolt_request = BoltRequest(body=body, query=request.query_string.decode("utf-8", "replace"),
                                   headers=request.headers)  # type: ignore[arg-type]
        return to_flask_response(bolt.dispatch(bolt_request))

    flask_app.add_url_rule("/slack/events", "slack_events", slack_endpoint, methods=["POST"])
    if rt.settings.slack_client_id:
        flask_app.add_url_rule("/slack/install", "slack_install", slack_endpoint, methods=["GET"])
        flask_app.add_url_rule("/slack/oauth_redirect", "slack_oauth_redirect", slack_endpoint, methods=["GET"])
    flask_app.extensions["handouts_slack"] = bolt
