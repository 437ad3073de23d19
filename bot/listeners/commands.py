"""`/handout`: parse, ack at once, then start the job on the listener's thread (never before the ack)."""

from __future__ import annotations

import threading

import structlog
from sqlalchemy.exc import DBAPIError

from pipeline.errors import HandoutsError, InputError

from ..command import HELP, parse_command
from ..deps import Deps
from ..start import Duplicate, connect_first, start_handout, started_text
from .panopto import panopto_command

log = structlog.get_logger("handouts.slack.commands")

# Starting a job (DNS, a Slack call, an insert, a post) after the ack is bounded, so that in a burst the threads
# still waiting to ack are not starved of the interpreter by those already past it.
STARTS_AT_ONCE = 4
_starting = threading.BoundedSemaphore(STARTS_AT_ONCE)


def register(app, deps: Deps) -> None:
    """Add the /handout command."""

    @app.command("/handout")
    def handout(ack, command, respond, client):
        if not command.get("user_id") or not command.get("channel_id"):
            ack(response_type="ephemeral", text=":warning: Handouts could not tell who sent this command or from "
                "which channel; run it again from a channel.")
            return
        try:
            cmd = parse_command(command.get("text", ""))
        except InputError as e:
            ack(response_type="ephemeral", text=f":warning: {e.message}")
            return
        if cmd.help:
            ack(response_type="ephemeral", text=HELP)
            return
        if cmd.panopto_action:
            ack(response_type="ephemeral", text=":hourglass_flowing_sand: One moment…")
            panopto_command(deps, cmd.panopto_action, command, respond)
            return
        ack(response_type="ephemeral", text=started_text(cmd))
        try:
            with _starting:
                ask = connect_first(deps, cmd, command, client) if cmd.panopto_session else None
                if ask is not None:
                    text, blocks = ask
                    respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)
                    log.info("slack_panopto_connect_offered", team_id=command.get("team_id"))
                    return
                job_id = start_handout(deps, cmd, command, client)
            log.info("slack_job_started", job_id=job_id, team_id=command.get("team_id"))
        except Duplicate as d:
            respond(response_type="ephemeral", replace_original=False,
                    text=f":repeat: That request is already running as job `{d.job_id}`; follow its message in "
                         "the channel.")
        except InputError as e:
            respond(response_type="ephemeral", replace_original=False, text=f":warning: {e.message}")
        except HandoutsError as e:
            log.warning("slack_job_not_started", error=e.message)
            respond(response_type="ephemeral", replace_original=False,
                    text=f":x: The handout could not be started: {e.message}")
        except DBAPIError as e:  # nothing was recorded: the person may simply ask again
            log.warning("slack_job_not_started", error=f"database: {type(e.orig or e).__name__}")
            respond(response_type="ephemeral", replace_original=False,
                    text=":x: Handouts' database is unavailable right now, so nothing was started; try again in "
                         "a minute.")
