"""`/handout`: parse, ack at once, then start the job on the start pool (never before the ack)."""

from __future__ import annotations

import structlog
from sqlalchemy.exc import DBAPIError

from pipeline.db import error_name
from pipeline.errors import HandoutsError, InputError

from ..blocks import escape_mrkdwn
from ..command import HELP, parse_command
from ..deps import Deps
from ..start import Duplicate, connect_first, start_handout, started_text
from .panopto import panopto_command

log = structlog.get_logger("handouts.slack.commands")

# Starting a job (DNS, a Slack call, an insert, a post) happens after the ack on a small pool of its own
# (bot.app builds it, Deps.after_ack hands work to it): Bolt's listener threads only parse and ack, so a burst of
# commands never leaves them all waiting to start jobs while new commands queue for a thread to ack them.


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
            ack(response_type="ephemeral", text=f":warning: {escape_mrkdwn(e.message)}")
            return
        if cmd.help:
            ack(response_type="ephemeral", text=HELP)
            return
        if cmd.panopto_action:
            ack(response_type="ephemeral", text=":hourglass_flowing_sand: One moment…")
            deps.after_ack(panopto_command, deps, cmd.panopto_action, command, respond)
            return
        ack(response_type="ephemeral", text=started_text(cmd))
        deps.after_ack(_start, deps, cmd, command, respond, client)


def _start(deps: Deps, cmd, command: dict, respond, client) -> None:
    """Start the job an acknowledged command asked for, and answer the person if it could not start."""
    try:
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
        respond(response_type="ephemeral", replace_original=False, text=f":warning: {escape_mrkdwn(e.message)}")
    except HandoutsError as e:
        log.warning("slack_job_not_started", error=e.message)
        respond(response_type="ephemeral", replace_original=False,
                text=f":x: The handout could not be started: {escape_mrkdwn(e.message)}")
    except DBAPIError as e:  # nothing was recorded: the person may simply ask again
        log.warning("slack_job_not_started", error=f"database: {error_name(e)}")
        respond(response_type="ephemeral", replace_original=False,
                text=":x: Handouts' database is unavailable right now, so nothing was started; try again in "
                     "a minute.")
    except Exception as e:  # on the start pool nothing else would see it: log it and tell the person
        log.exception("slack_job_start_failed", error=repr(e), team_id=command.get("team_id"))
        respond(response_type="ephemeral", replace_original=False,
                text=":x: Something went wrong on Handouts' side while starting the handout; nothing was "
                     "started. Try again, and tell your Handouts admin if it keeps happening.")
