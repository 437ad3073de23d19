"""LTI 1.3 adapter: login, launch, JWKS and deep-linking views over pipeline.jobs; pages shown inside the LMS.

    tables, registry   registrations, deployments, keys, login states, used nonces, launch tickets; the
                       pylti1p3 tool config over them
    keys, keyset       the tool's signing keys (current, next, previous); the platforms' key sets, cached
    launch             OIDC login and launch validation (pylti1p3 plus one-time state and nonce, aud/azp, leeway)
    roles              context roles → manage, view or nothing
    views, uploads     the pages; uploads streamed and checked as they arrive
    notifier, admin    e-mail to the instructor once per job; the `handouts lti` commands

The LTI pages live in their own small Flask app mounted at /lti: its cookies are SameSite=None, Secure and
Partitioned (it runs inside the LMS's iframe) and it sits behind ProxyFix, while the operator pages keep theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from pipeline.runtime import Runtime

MOUNT = "/lti"


def create_lti_app(rt: "Runtime") -> "Flask":
    """The LTI Flask app over one Runtime (routes relative to /lti)."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from pipeline.crypto import cipher_for

    from .keyset import KeySetCache
    from .launch import LtiServices
    from .registry import DbToolConf
    from .uploads import LtiRequest
    from .views import bp

    app = Flask("lti")
    app.request_class = LtiRequest
    s = rt.settings
    app.config.update(SECRET_KEY=s.secret_key.get_secret_value(), SESSION_COOKIE_SAMESITE="None",
                      SESSION_COOKIE_SECURE=True, SESSION_COOKIE_PARTITIONED=True, PREFERRED_URL_SCHEME="https")
    cipher = cipher_for(s, "lti")
    app.extensions["lti"] = LtiServices(
        settings=s, sessions=rt.sessions, conf=DbToolConf(rt.sessions, cipher),
        keysets=KeySetCache(ttl=s.lti_jwks_ttl, timeout=s.lti_http_timeout, allow_private=s.allow_private_urls))
    app.extensions["handouts_runtime"] = rt
    app.register_blueprint(bp)
    # Behind a TLS-terminating proxy the app must see https and the public host, or its URLs and Secure cookies
    # are wrong; one proxy hop is trusted.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)
    return app


def init_app(flask_app: "Flask", rt: "Runtime") -> None:
    """Mount the LTI app at /lti beside the other routes of `flask_app`."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    lti_app = create_lti_app(rt)
    # the Panopto account service of the web app (its /panopto/callback starts requests made here)
    lti_app.extensions["handouts_panopto"] = flask_app.extensions.get("handouts_panopto")
    flask_app.extensions["lti_app"] = lti_app
    flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {MOUNT: lti_app})
