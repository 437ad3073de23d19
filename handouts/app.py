"""The Flask application factory: one app, every adapter's routes, over one Runtime."""

from __future__ import annotations

from flask import Flask

from pipeline.panopto.accounts import PanoptoAccounts
from pipeline.runtime import Runtime
from pipeline.settings import Settings, load_settings_or_exit


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None,
               panopto: PanoptoAccounts | None = None) -> Flask:
    """The web app: operator pages and files, and the Slack adapter when Slack is configured.

    With no arguments it reads the settings from the environment and opens its own Runtime, so any WSGI server
    can import it (`gunicorn 'handouts.wsgi:app'`).
    """
    import bot
    import lti
    import web
    from web.panopto import bp as panopto_bp

    from . import ops
    from .wiring import open_runtime, panopto_accounts

    owned = runtime is None
    rt = runtime or open_runtime(settings or load_settings_or_exit())
    if owned:  # a WSGI server's worker exits through the interpreter: let accepted work finish first
        import atexit

        atexit.register(rt.close)
    app = Flask("handouts")
    app.config["SECRET_KEY"] = rt.settings.secret_key.get_secret_value()
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.extensions["handouts"] = rt
    web.init_app(app, rt)
    app.register_blueprint(ops.bp)  # /readyz (open, for probes) and /metrics (operators, e.g. Prometheus)
    app.extensions["handouts_panopto"] = panopto or panopto_accounts(rt.settings, rt.sessions,
                                                                      credentials=rt.panopto.credentials)
    app.register_blueprint(panopto_bp)  # /panopto/connect/<state> and /panopto/callback (open: people's browsers)
    bot.init_app(app, rt)  # /slack/events (and OAuth install) when Slack is configured
    lti.init_app(app, rt)  # /lti/login, /lti/launch, /lti/jwks and the pages shown inside the LMS
    return app
