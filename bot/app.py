"""The Bolt app: single-workspace (a bot token from settings) or OAuth for many workspaces.

Request verification stays on (Bolt checks every signature and timestamp). Listeners run on a wider pool than
Bolt's default five threads: a listener acks first and then keeps its thread while it starts the job, and a
pool that is all busy would delay the next command's ack.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import structlog
from slack_bolt import App, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot.notifier import SlackNotifier
from pipeline.errors import ConfigError
from pipeline.runtime import Runtime

from .deps import Deps
from .listeners import register_all
from .store import OAuthStateStore, make_installation_store

log = structlog.get_logger("handouts.slack")

BOT_SCOPES = ["commands", "chat:write", "files:write", "im:write", "channels:read", "groups:read"]
LISTENER_THREADS = 32
STARTS_AT_ONCE = 4  # jobs being started after their ack at once; 0 starts them on the listener's own thread
NOT_INSTALLED = ("Handouts is not installed in this workspace (any more). Ask a workspace admin to install it "
                 "again from the Handouts server's /slack/install page.")


def _skip_event_retries(body, request, next):  # noqa: A002 - Bolt passes `next` by name
    """Slack re-sends an event it thinks timed out; the first copy is being handled, so answer the copies."""
    if request.headers.get("x-slack-retry-num") and body.get("type") == "event_callback":
        return BoltResponse(status=200, body="")
    return next()


def build_bolt_app(rt: Runtime, panopto=None) -> App:
    """The Bolt app for this process's settings, with every listener registered (`panopto`: PanoptoAccounts)."""
    s = rt.settings
    token = s.slack_bot_token.get_secret_value() if s.slack_bot_token and not s.slack_client_id else None
    client = WebClient(token=token, base_url=s.slack_api_url, timeout=10)
    # work accepted after an ack (starting a job, posting a reply) runs here; closing the process waits for it, so
    # a deploy's SIGTERM does not cut a request off between "we told Slack yes" and "the job exists"
    executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="slack")
    starts = ThreadPoolExecutor(STARTS_AT_ONCE, thread_name_prefix="slack-start") if STARTS_AT_ONCE else None
    if starts is not None:  # closed after the listener pool (closers run last first), which may still hand it work
        rt.on_close(lambda: starts.shutdown(wait=True, cancel_futures=False))
    rt.on_close(lambda: executor.shutdown(wait=True, cancel_futures=False))
    kwargs: dict = dict(signing_secret=s.slack_signing_secret.get_secret_value(), client=client,
                        listener_executor=executor,
                        user_facing_authorize_error_message=NOT_INSTALLED, process_before_response=False)
    oauth = bool(s.slack_client_id)
    if oauth:
        store = make_installation_store(s, rt.engine)
        kwargs["installation_store"] = store
        kwargs["oauth_settings"] = OAuthSettings(
            client_id=s.slack_client_id, client_secret=s.slack_client_secret.get_secret_value(), scopes=BOT_SCOPES,
            installation_store=store, state_store=OAuthStateStore(rt.engine), install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect")
    app = App(**kwargs)
    app.middleware(_skip_event_retries)
    notifier = rt.notifier(SlackNotifier)
    if notifier is None:  # the composition root registers it whenever Slack is configured; never build a second
        raise ConfigError("SLACK_SIGNING_SECRET", "Slack is configured but its notifier is not wired; build the "
                          "process with handouts.wiring.open_runtime")
    deps = Deps(rt=rt, notifier=notifier, oauth=oauth, panopto=panopto)
    if starts is not None:
        deps.after_ack = starts.submit
    register_all(app, deps)

    @app.error
    def _unexpected(error, body):
        log.error("slack_listener_error", error=repr(error), kind=(body or {}).get("type"))

    return app
