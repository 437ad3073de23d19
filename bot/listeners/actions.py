"""Buttons on a job's message (Cancel, Retry, Retry delivery) and the App Home profile picker.

Each checks who pressed it against the job: its requester, or an instructor of the job's channel.
"""

from __future__ import annotations

import structlog

from pipeline.addresses import Origin
from pipeline.errors import HandoutsError, InputError, JobNotFound
from pipeline.jobs import Viewer, cancel_job, get_job, get_visible_job, retry_job
from pipeline.models import JobStatus

from ..blocks import CANCEL, PROFILE_SELECT, REDELIVER, RETRY
from ..deps import Deps, tenant_of
from ..prefs import profile_names, set_default_profile
from .events import publish_home

log = structlog.get_logger("handouts.slack.actions")


def _job_for(deps: Deps, session, body: dict, action: str):
    job_id = body["actions"][0]["value"]
    user = body["user"]["id"]
    team = (body.get("team") or {}).get("id") or body["user"].get("team_id")
    try:
        job = get_visible_job(session, Viewer(tenant=tenant_of(team, (body.get("enterprise") or {}).get("id"))),
                              job_id)
    except JobNotFound:
        get_job(session, job_id)  # no such job at all says so; one of another workspace is named as such
        raise InputError(f"Job `{job_id}` belongs to another workspace; its buttons work only there.") from None
    if job.origin != Origin.SLACK:
        raise InputError(f"Job `{job_id}` was not started from Slack; its buttons work only where it started.")
    if not deps.may_act(job, user):
        raise InputError(f"Only <@{job.owner}>, who asked for this handout, or an instructor of this channel "
                         f"can {action} it.")
    return job


def register(app, deps: Deps) -> None:
    """Add the job buttons and the profile picker."""

    def _answer(respond, e: HandoutsError) -> None:
        respond(response_type="ephemeral", replace_original=False, text=f":warning: {e.message}")

    @app.action(CANCEL)
    def cancel(ack, body, client, respond):
        ack()
        try:
            with deps.rt.transaction() as s:
                job = _job_for(deps, s, body, "cancel")
                cancel_job(s, job.id)
                job_id = job.id
            deps.notifier.show(client, job_id, deps.stages)
        except HandoutsError as e:
            _answer(respond, e)

    @app.action(RETRY)
    def retry(ack, body, client, respond):
        ack()
        try:
            with deps.rt.transaction() as s:
                job = _job_for(deps, s, body, "retry")
                retry_job(s, lambda _id: None, job.id)  # queued below, once the message shows "queued"
                job_id = job.id
            deps.notifier.show(client, job_id, deps.stages)
            deps.rt.enqueue(job_id)
        except HandoutsError as e:
            _answer(respond, e)

    @app.action(REDELIVER)
    def redeliver(ack, body, client, respond):
        ack()
        try:
            with deps.rt.sessions() as s:
                job = _job_for(deps, s, body, "send its files again")
                if job.status not in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS):
                    raise InputError(f"Job `{job.id}` is {job.status}; only a finished job's files can be sent.")
                job_id = job.id
            deps.notifier.deliver(deps.rt, job_id, client=client)
        except HandoutsError as e:
            _answer(respond, e)

    @app.action(PROFILE_SELECT)
    def choose_profile(ack, body, client, context):
        ack()
        profile = body["actions"][0]["selected_option"]["value"]
        user = body["user"]["id"]
        with deps.rt.transaction() as s:
            if profile in profile_names(s, tenant_of(context.team_id, context.enterprise_id)):
                set_default_profile(s, context.team_id or "", user, profile)
        publish_home(deps, client, context.team_id, context.enterprise_id, user)
