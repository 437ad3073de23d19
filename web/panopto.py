"""The Connect Panopto pages: /panopto/connect/<state> sends the browser to Panopto, /panopto/callback comes back.

The link holds only an opaque, single-use state kept on the server (pipeline.panopto.accounts); the callback
spends it once, trades the code for tokens, and starts the request the person made before linking. Every
outcome is a short page that says what happened and what to do; nothing here reveals a token.
"""

from __future__ import annotations

import html

from flask import Blueprint, Response, current_app, redirect, request

from pipeline.errors import ConfigError, HandoutsError
from pipeline.panopto.accounts import ConnectProblem, PanoptoAccounts
from pipeline.sources.netguard import display_url

bp = Blueprint("panopto", __name__, url_prefix="/panopto")

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:36rem;padding:0 1rem;color:#1b1b1b}}
h1{{font-size:1.4rem}}.ok{{color:#166534}}.bad{{color:#b91c1c}}</style></head>
<body><main><h1 class="{tone}">{title}</h1>{body}</main></body></html>"""


def _page(title: str, text: str, *, status: int = 200, ok: bool = True) -> Response:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p)
    resp = Response(_PAGE.format(title=html.escape(title), body=body, tone="ok" if ok else "bad"), status=status,
                    mimetype="text/html")
    return _private(resp)


def _private(resp: Response) -> Response:
    # the pages carry a state or a code in their address: never cached, never sent on as a Referer
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _accounts() -> PanoptoAccounts:
    return current_app.extensions["handouts_panopto"]


@bp.get("/connect/<state>")
def connect(state: str):
    """Check the state and send the browser to Panopto's sign-in and consent page."""
    try:
        target = _accounts().authorize_url(state)
    except ConnectProblem as e:
        return _page("Connect Panopto: link not usable", e.message, status=410 if e.reason != "unknown" else 404,
                     ok=False)
    except ConfigError as e:
        return _page("Connect Panopto is not set up", f"{e.message}\nTell the Handouts administrator.",
                     status=503, ok=False)
    return _private(redirect(target, code=302))


@bp.get("/callback")
def callback():
    """Panopto sends the browser back here with a code (or an error) and the state."""
    accounts = _accounts()
    args = request.args
    try:
        connected = accounts.complete(state=args.get("state"), code=args.get("code"), error=args.get("error"),
                                      error_description=args.get("error_description"))
    except ConnectProblem as e:
        return _page("Panopto was not connected", e.message, status=400, ok=False)
    except HandoutsError as e:  # Panopto down, our client refused, a web page instead of a token
        return _page("Panopto was not connected", f"{e.message}\nNothing was stored; start again from Handouts "
                     "when Panopto answers.", status=502, ok=False)
    linked = f"Your Panopto account on {connected.server_host} is now linked to Handouts."
    try:
        job_id = accounts.start_pending(current_app.extensions["handouts"], connected)
    except HandoutsError as e:
        return _page("Panopto connected", f"{linked}\nYour earlier request could not be started: {e.message}\n"
                     "Send it again; it will use your Panopto account now.", ok=True)
    if job_id is None:
        return _page("Panopto connected", f"{linked}\nYou can close this window.")
    source = display_url((connected.pending or {}).get("source", ""))
    where = ("it appears in your course's list of handouts: go back to the course page and reload it"
             if (connected.pending or {}).get("origin") == "lti" else "its progress and files appear where you "
             "asked for it")
    return _page("Panopto connected", f"{linked}\nYour handout for {source} has started (job {job_id}); "
                 f"{where}. You can close this window.")
