"""Starting a job from a parsed command, after the ack: check, record, post the message, then queue.

The job is queued only once its progress message exists, so the worker always has a message to edit; when
anything before that fails, the job row and the rate-limit slot are removed again (nothing half done).
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from pipeline.addresses import Origin, SlackAddress, slack_scope
from pipeline.ai.profiles import get_profile
from pipeline.errors import HandoutsError, InputError
from pipeline.jobs import submit_job
from pipeline.models import Job, JobStatus, utcnow
from pipeline.panopto.accounts import pending_job
from pipeline.panopto.oauth import server_host
from bot.notifier import slack_error
from pipeline.sources.netguard import display_url, redact_url

from .blocks import connect_message, escape_mrkdwn
from .command import HandoutCommand, check_reachable
from .deps import Deps, tenant_of
from .prefs import default_profile
from .ratelimit import forget_request, record_request

DUPLICATE_WINDOW = timedelta(minutes=2)
INVITE = ("I am not a member of this channel, and files can only be shared where I am. Invite me with "
          "`/invite @Handouts` (or the channel's Integrations tab), then run the command again.")


class Duplicate(Exception):
    """The request repeats one already started; carries that job."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id


def check_membership(client: WebClient, channel_id: str) -> None:
    """InputError with the invite instructions when the bot cannot post and upload in this channel."""
    if channel_id.startswith("D"):
        return  # a direct message: posting there answers for itself (conversations.info would need im:read)
    try:
        info = client.conversations_info(channel=channel_id)
    except SlackApiError as e:
        if e.response.get("error") in ("channel_not_found", "not_in_channel"):
            raise InputError(INVITE, channel=channel_id) from None
        raise slack_error("conversations.info", e) from None
    except SlackClientError as e:
        raise slack_error("conversations.info", e) from None
    channel = info.get("channel") or {}
    if not channel.get("is_im") and not channel.get("is_member", False):
        raise InputError(INVITE, channel=channel_id)


def _request_key(payload: dict) -> str:
    return f"slack:{payload.get('team_id') or payload.get('enterprise_id')}:{payload.get('trigger_id')}"


def _address(payload: dict) -> SlackAddress:
    return SlackAddress(team_id=payload.get("team_id"), enterprise_id=payload.get("enterprise_id"),
                        channel_id=payload["channel_id"], user_id=payload["user_id"],
                        is_enterprise_install=bool(payload.get("is_enterprise_install")))


def _refuse_repeat(deps: Deps, key: str) -> None:
    with deps.rt.sessions() as s:  # a retried delivery of the same command: answer before any network work
        known = s.scalar(select(Job.id).where(Job.idempotency_key == key))
    if known:
        raise Duplicate(known)


def connect_first(deps: Deps, cmd: HandoutCommand, payload: dict, client: WebClient) -> tuple[str, list] | None:
    """For a Panopto session link: None when the person may go ahead (linked, or a service user stands in);
    otherwise the Connect Panopto message, with the request kept server-side to start after the callback."""
    accounts = deps.panopto
    if accounts is None:
        raise InputError(f"{display_url(cmd.url)} is a Panopto recording, but Panopto is not set up on this "
                         "Handouts server: ask its administrator, or paste a direct video (MP4) link.")
    tenant = tenant_of(payload.get("team_id"), payload.get("enterprise_id"))
    user_id, channel_id = payload["user_id"], payload["channel_id"]
    server = accounts.server_for_link(tenant, cmd.url)
    if not accounts.needs_connect(tenant, user_id, server):
        return None
    key = _request_key(payload)
    _refuse_repeat(deps, key)
    check_reachable(cmd.url, deps.rt.settings.allow_private_urls)
    check_membership(client, channel_id)
    options = dict(cmd.options)
    with deps.rt.transaction() as s:
        profile = options.get("profile") or default_profile(s, payload.get("team_id") or "", user_id)
        if profile:
            get_profile(s, tenant, profile)
            options["profile"] = profile
        # the request counts now, when it is made; the job it becomes after the callback does not count again
        record_request(s, deps.rt.settings, payload.get("team_id") or payload.get("enterprise_id") or "", user_id)
    pending = pending_job(source=cmd.url, tenant=tenant, owner=user_id, origin=Origin.SLACK,
                          address=_address(payload), scope=slack_scope(channel_id), options=options,
                          idempotency_key=key)
    state = accounts.begin_connect(tenant=tenant, user=user_id, server=server, pending=pending)
    return connect_message(server_host(server), accounts.connect_link(state),
                           deps.rt.settings.panopto_connect_minutes, pending=True)


def start_handout(deps: Deps, cmd: HandoutCommand, payload: dict, client: WebClient) -> str:
    """Create, announce and queue the job for a slash command; returns its id (Duplicate if it exists)."""
    rt, settings = deps.rt, deps.rt.settings
    team_id, user_id, channel_id = payload.get("team_id"), payload["user_id"], payload["channel_id"]
    enterprise_id = payload.get("enterprise_id")
    tenant = tenant_of(team_id, enterprise_id)
    key = _request_key(payload)
    _refuse_repeat(deps, key)
    check_reachable(cmd.url, settings.allow_private_urls)
    check_membership(client, channel_id)
    options = dict(cmd.options)
    queued: list[str] = []
    try:
        with rt.transaction() as s:
            profile = options.get("profile") or default_profile(s, team_id or "", user_id)
            if profile:
                get_profile(s, tenant, profile)  # an unknown name fails now, not after the download
                options["profile"] = profile
            slot = record_request(s, settings, team_id or enterprise_id or "", user_id)
            recent = s.scalar(select(Job.id).where(
                Job.tenant == tenant, Job.owner == user_id, Job.source == redact_url(cmd.url),
                Job.status.not_in((JobStatus.FAILED, JobStatus.CANCELLED)),
                Job.created_at > utcnow() - DUPLICATE_WINDOW).order_by(Job.created_at.desc()).limit(1))
            if recent:
                raise Duplicate(recent)
            address = _address(payload)
            job = submit_job(s, queued.append, source=cmd.url, tenant=tenant, owner=user_id, origin=Origin.SLACK,
                             address=address, scope=slack_scope(channel_id), options=options, idempotency_key=key,
                             seal=rt.seal)
            job_id = job.id
    except IntegrityError:  # the same command arrived twice at once; the other copy made the job
        with rt.sessions() as s:
            raise Duplicate(s.scalar(select(Job.id).where(Job.idempotency_key == key))) from None
    try:
        deps.notifier.show(client, job_id, deps.stages)
    except HandoutsError:
        with rt.transaction() as s:
            s.execute(delete(Job).where(Job.id == job_id))
            forget_request(s, slot)
        raise
    for queued_id in queued:
        rt.enqueue(queued_id)
    return job_id


def started_text(cmd: HandoutCommand) -> str:
    """The ack: immediate, before any checks that need the network."""
    return f":hourglass_flowing_sand: Starting a handout for {escape_mrkdwn(display_url(cmd.url))}…"
