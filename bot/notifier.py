"""The Slack notifier, run by workers: one progress message per job, the files in its thread, DMs at the end.

slack_sdk's WebClient only (no Bolt). Every side effect is recorded in the deliveries table (pipeline.deliveries)
before the next one, so running the same event again, or on a second worker, never posts twice:

    slack:<channel> progress       the one progress message {channel, ts} (edited, never re-posted)
    slack:<channel> summary        the delivery summary in the thread {ts}
    slack:<channel> file:<name>    an uploaded file {id, sha256, permalink} (new content goes again)
    slack:<channel> upload         failed with the reason while the files could not be uploaded (a "Retry
                                   delivery" button shows), done once they are
    slack-user:<user> dm:<ending>  a direct message, one per user per ending {ts}

Progress edits are throttled by HANDOUTS_SLACK_UPDATE_INTERVAL (a stage change always goes through) and a 429
pauses progress edits for its Retry-After; end-of-job messages wait Retry-After and try again.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session, sessionmaker

from pipeline import deliveries
from pipeline.addresses import Origin, SlackAddress
from pipeline.errors import HandoutsError, InputError, SourceUnavailable
from pipeline.logs import get_logger
from pipeline.artifacts import DELIVERABLE, LABELS, ArtifactKind
from pipeline.models import Job, JobStatus
from pipeline.settings import Settings
from pipeline.summary import ArtifactInfo, JobSummary, summarize

if TYPE_CHECKING:
    from pipeline.ports import Ports

log = get_logger("handouts.notify.slack")

TERMINAL_TRIES = 3
MAX_WAIT = 30.0

TokenLookup = Callable[[SlackAddress], "str | None"]


class _RateLimited(Exception):
    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(method)
        self.method = method
        self.retry_after = retry_after


def slack_error(method: str, e: SlackClientError) -> SourceUnavailable:
    """A Slack failure as the domain's error: which call, what Slack said, whether trying again may help."""
    if isinstance(e, SlackApiError):
        status = e.response.status_code
        code = e.response.get("error") if isinstance(e.response.data, dict) else None
        hint = {"not_in_channel": "invite the app to the channel with /invite @Handouts",
                "channel_not_found": "the channel is gone or private; invite the app with /invite @Handouts",
                "invalid_auth": "the workspace's token is no longer valid; reinstall the app",
                "token_revoked": "the app was removed from the workspace; reinstall it",
                "missing_scope": "the app lacks a permission; reinstall it from the manifest"}.get(code or "", "")
        return SourceUnavailable(f"slack:{method}", f"Slack's {method} answered {code or status}"
                                 + (f": {hint}" if hint else ""), status=status,
                                 retryable=status >= 500 or status == 429)
    return SourceUnavailable(f"slack:{method}", f"Slack's {method} could not be reached: {e}", retryable=True)


@dataclass
class SlackState:
    """What was already done in Slack for one job, read from its deliveries."""

    channel: str
    progress_channel: str | None = None
    progress_ts: str | None = None
    summary_ts: str | None = None
    files: dict[str, dict] | None = None
    dms: set[str] | None = None
    delivery_error: str | None = None

    @classmethod
    def load(cls, session: Session, job: Job) -> "SlackState":
        """The Slack state of `job` (a Slack job) from its delivery records."""
        address = job.address
        state = cls(channel=address.channel_id, files={}, dms=set())
        for (target, kind), d in deliveries.sent(session, job.id).items():
            if kind == "progress":
                state.progress_channel, state.progress_ts = d.ref.get("channel"), d.ref.get("ts")
            elif kind == "summary":
                state.summary_ts = d.ref.get("ts")
            elif kind.startswith("file:"):
                state.files[kind[5:]] = d.ref
            elif kind.startswith("dm:"):
                state.dms.add(f"{target.removeprefix('slack-user:')}:{kind[3:]}")
            elif kind == "upload" and d.status == "failed":
                state.delivery_error = d.error
        return state

    @property
    def target(self) -> str:
        return f"slack:{self.channel}"


@dataclass
class _Snapshot:
    """What a Slack message needs from a job, read in one short session."""

    job: Job
    address: SlackAddress
    state: SlackState
    summary: JobSummary


class SlackNotifier:
    """Keeps each Slack job's progress message current and delivers its files; see the module docstring."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], tokens: TokenLookup,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.sessions = sessions
        self.tokens = tokens
        self.sleep = sleep
        self.calls = 0
        self._lock = threading.Lock()
        self._last: dict[str, tuple[float, str | None]] = {}
        self._paused_until: dict[tuple[str | None, str], float] = {}

    # ---- plumbing -------------------------------------------------------------------------------------------
    def client(self, address: SlackAddress) -> WebClient | None:
        """A WebClient with the bot token of the job's workspace; None when the workspace is not installed."""
        token = self.tokens(address)
        if not token:
            return None
        return WebClient(token=token, base_url=self.settings.slack_api_url, timeout=30)

    def _call(self, client: WebClient, method: str, *, patient: bool = False, **kwargs):
        """One Web API call. While Slack's Retry-After for this method and workspace runs, an impatient call is
        skipped (_RateLimited) and a patient one waits it out first: no path calls again sooner."""
        key = (client.token, method)
        with self._lock:
            wait = self._paused_until.get(key, 0.0) - time.monotonic()
        if wait > 0:
            if not patient or wait > MAX_WAIT:
                raise _RateLimited(method, wait)
            self.sleep(wait)
        with self._lock:
            self.calls += 1
        try:
            return getattr(client, method)(**kwargs)
        except SlackApiError as e:
            if e.response.status_code == 429:
                retry_after = float(e.response.headers.get("Retry-After", 1) or 1)
                with self._lock:
                    self._paused_until[key] = time.monotonic() + retry_after
                raise _RateLimited(method, retry_after) from None
            raise slack_error(method, e) from None
        except SlackClientError as e:
            raise slack_error(method, e) from None
        except OSError as e:  # the raw upload step of files_upload_v2 uses urllib and lets its errors through
            raise SourceUnavailable(f"slack:{method}", f"Slack's file upload failed: {e}", retryable=True) from None

    def _call_patiently(self, client: WebClient, method: str, **kwargs):
        """A call that must land (end-of-job messages): wait out 429s a few times."""
        for attempt in range(TERMINAL_TRIES):
            try:
                return self._call(client, method, patient=True, **kwargs)  # waits out the pause, then calls
            except _RateLimited as e:
                if attempt == TERMINAL_TRIES - 1 or e.retry_after > MAX_WAIT:
                    raise SourceUnavailable(f"slack:{method}", f"Slack kept rate-limiting {method}; "
                                            "the message will catch up on the next update", status=429) from None
        raise AssertionError("unreachable")

    def _snapshot(self, job_id: str) -> _Snapshot | None:
        with self.sessions() as s:
            job = s.get(Job, job_id)
            if job is None or job.origin != Origin.SLACK:
                return None
            summary = summarize(job)
            state = SlackState.load(s, job)
            s.expunge(job)
            return _Snapshot(job, job.address, state, summary)

    def _record(self, snap: _Snapshot, kind: str, *, target: str | None = None, ref: dict | None = None,
                status: str = "done", error: str | None = None) -> None:
        """Record one Slack side effect of a job in its own transaction, and in the snapshot."""
        deliveries.record(self.sessions, snap.job.id, target or snap.state.target, kind, ref=ref, status=status,
                          error=error)

    # ---- the Notifier protocol ------------------------------------------------------------------------------
    def job_event(self, rt: "Ports", job_id: str, event: str) -> None:
        """Edit the progress message; at the end deliver files (finished) and DM people (finished, failed)."""
        snap = self._snapshot(job_id)
        if snap is None:
            return
        client = self.client(snap.address)
        if client is None:
            log.warning("slack_workspace_not_installed", job_id=job_id, team_id=snap.address.team_id)
            return
        stages = [st.name for st in rt.stages]
        if event == "progress":
            self._progress(client, snap, stages)
            return
        self.refresh(client, snap, stages, must_land=True)
        self._forget(job_id)
        if event == "finished":
            self.deliver(rt, job_id, client=client)
        if event in ("finished", "failed"):
            self._tell_people(client, job_id, stages)

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._last.pop(job_id, None)

    def _progress(self, client: WebClient, snap: _Snapshot, stages: list[str]) -> None:
        job_id, now = snap.job.id, time.monotonic()
        with self._lock:
            last_at, last_stage = self._last.get(job_id, (None, None))
            if (last_at is not None and last_stage == snap.job.stage
                    and now - last_at < self.settings.slack_update_interval):
                return
            self._last[job_id] = (now, snap.job.stage)
        try:
            self.refresh(client, snap, stages, must_land=False)
        except _RateLimited as e:  # the pause is kept per method and workspace by _call
            log.info("slack_progress_paused", job_id=job_id, retry_after=round(e.retry_after, 3))

    def show(self, client: WebClient, job_id: str, stages: list[str]) -> str | None:
        """Post or edit a job's progress message now (adapters call this after a button or a new job)."""
        snap = self._snapshot(job_id)
        if snap is None:
            return None
        try:
            return self.refresh(client, snap, stages, must_land=True)
        finally:
            self._forget(job_id)

    def refresh(self, client: WebClient, snap: _Snapshot, stages: list[str], *, must_land: bool) -> str:
        """Render the progress message from the job row: edit it, or post it once if it does not exist yet."""
        from .blocks import progress_message

        text, blocks = progress_message(snap.job, stages, delivery_error=snap.state.delivery_error)
        call = self._call_patiently if must_land else self._call
        channel, ts = snap.state.progress_channel, snap.state.progress_ts
        if channel and ts:
            try:
                call(client, "chat_update", channel=channel, ts=ts, text=text, blocks=blocks)
                return ts
            except SourceUnavailable as e:
                if "message_not_found" not in e.message:
                    raise
        channel = channel or snap.address.channel_id
        if not channel:
            raise InputError(f"job {snap.job.id} has no Slack channel to answer in", job_id=snap.job.id)
        resp = call(client, "chat_postMessage", channel=channel, text=text, blocks=blocks)
        self._record(snap, "progress", ref={"channel": resp["channel"], "ts": resp["ts"]})
        snap.state.progress_channel, snap.state.progress_ts = resp["channel"], resp["ts"]
        return resp["ts"]

    # ---- delivery ---------------------------------------------------------------------------------------------
    def deliver(self, rt: "Ports", job_id: str, *, client: WebClient | None = None) -> None:
        """Post the summary and upload what is not uploaded yet into the job's thread (files_upload_v2)."""
        snap = self._snapshot(job_id)
        if snap is None or snap.job.status not in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS):
            return
        client = client or self.client(snap.address)
        if client is None:
            return
        stages = [st.name for st in rt.stages]
        channel, thread = snap.state.progress_channel, snap.state.progress_ts
        if not (channel and thread):
            thread = self.refresh(client, snap, stages, must_land=True)
            channel = snap.state.progress_channel
        send, produced, missing = self._plan(snap)
        text, blocks = _summary(snap, produced, missing)
        if snap.state.summary_ts:
            self._call_patiently(client, "chat_update", channel=channel, ts=snap.state.summary_ts,
                                 text=text, blocks=blocks)
        else:
            resp = self._call_patiently(client, "chat_postMessage", channel=channel, thread_ts=thread, text=text,
                                        blocks=blocks)
            self._record(snap, "summary", ref={"ts": resp["ts"]})
        had_error = snap.state.delivery_error
        if not send:
            if had_error:
                self._record(snap, "upload")
            return
        try:
            uploaded = self._upload(rt, client, channel, thread, send)
        except (SourceUnavailable, _RateLimited) as e:
            reason = e.message if isinstance(e, SourceUnavailable) else "Slack rate-limited the upload"
            self._record(snap, "upload", status="failed", error=reason)
            snap.state.delivery_error = reason
            self.refresh(client, snap, stages, must_land=True)
            raise SourceUnavailable("slack:files_upload_v2", f"uploading the files to Slack failed ({reason}); "
                                    "press Retry delivery on the job's message") from None
        for name, ref in uploaded.items():
            self._record(snap, f"file:{name}", ref=ref)
            snap.state.files[name] = ref
        self._record(snap, "upload")
        if had_error:
            snap.state.delivery_error = None
            self.refresh(client, snap, stages, must_land=True)

    def _plan(self, snap: _Snapshot) -> tuple[list[ArtifactInfo], list[str], list[str]]:
        """(files to upload now, names of everything delivered, what is missing and why)."""
        done = snap.state.files or {}
        limit = self.settings.slack_max_upload_bytes
        job = snap.summary
        no_quiz = bool(job.options.get("no_quiz"))
        send, produced, missing = [], [], []
        for a in job.files(*DELIVERABLE):
            if a.kind == ArtifactKind.QUESTIONS and no_quiz:
                missing.append(f"{a.name}: left out as asked (--no-quiz)")
            elif a.size > limit:
                missing.append(f"{a.name}: {a.size / 1e6:.0f} MB is over the Slack upload limit "
                               f"({limit / 1e6:.0f} MB); get it from the Handouts web app, job {job.id}")
            else:
                produced.append(f"{a.name} ({LABELS[a.kind]})")
                if done.get(a.name, {}).get("sha256") != a.sha256:
                    send.append(a)
        if job.options.get("no_ai"):
            missing.append("study materials: not made, as asked (--no-ai)")
        missing += list(job.warnings)
        return send, produced, missing

    def _upload(self, rt: "Ports", client: WebClient, channel: str, thread: str,
                send: list[ArtifactInfo]) -> dict:
        with tempfile.TemporaryDirectory(prefix="handouts-slack-") as tmp:
            uploads = []
            for a in send:
                path = rt.storage.get_file(a.storage_key, Path(tmp) / a.name)
                uploads.append({"file": str(path), "filename": a.name, "title": a.name})
            resp = self._call(client, "files_upload_v2", file_uploads=uploads, channel=channel, thread_ts=thread)
        files = resp.get("files") or []
        out = {}
        for a, f in zip(send, files):
            out[a.name] = {"id": f.get("id"), "sha256": a.sha256, "permalink": f.get("permalink")}
        return out

    # ---- direct messages --------------------------------------------------------------------------------------
    def _tell_people(self, client: WebClient, job_id: str, stages: list[str]) -> None:
        from .blocks import dm_message

        snap = self._snapshot(job_id)
        channel_id = snap.address.channel_id
        people = [snap.address.user_id, *self.settings.slack_instructors.get(channel_id or "", [])]
        links = {name: f["permalink"] for name, f in (snap.state.files or {}).items() if f.get("permalink")}
        text, blocks = dm_message(snap.job, links, channel_id)
        ending = f"{snap.job.status}@{snap.job.finished_at.isoformat() if snap.job.finished_at else ''}"
        for user in dict.fromkeys(p for p in people if p):
            key = f"{user}:{ending}"
            if key in snap.state.dms:
                continue
            try:
                im = self._call_patiently(client, "conversations_open", users=user)
                resp = self._call_patiently(client, "chat_postMessage", channel=im["channel"]["id"], text=text,
                                            blocks=blocks)
            except HandoutsError as e:  # one unreachable person must not keep the others from hearing
                log.warning("slack_dm_failed", job_id=job_id, user=user, error=e.message)
                continue
            self._record(snap, f"dm:{ending}", target=f"slack-user:{user}", ref={"ts": resp["ts"]})
            snap.state.dms.add(key)


def _summary(snap: _Snapshot, produced: list[str], missing: list[str]):
    from .blocks import summary_message

    job = snap.summary
    return summary_message(job.title or "Lecture handout", job.slide_count, job.duration, produced, missing,
                           sources=_sources_line(job))


def _sources_line(job) -> str | None:
    """Where the slides and captions came from, when that is worth a student's notice."""
    parts = [job.provenance] if job.provenance else []
    if job.captions_machine and job.captions_source != "panopto":
        parts.append("captions machine-heard (speech recognition), so names and terms may be misheard")
    elif job.captions_source == "none":
        parts.append("no captions: the recording has no speech Handouts could read")
    return "; ".join(parts) or None


def make_token_lookup(settings: Settings, engine) -> TokenLookup:
    """Single-workspace: the configured bot token. OAuth: the job's workspace bot from the installation store."""
    if not settings.slack_client_id:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        return lambda _reply: token
    from .store import make_installation_store

    store = make_installation_store(settings, engine)

    def lookup(address: SlackAddress) -> str | None:
        bot = store.find_bot(enterprise_id=address.enterprise_id, team_id=address.team_id,
                             is_enterprise_install=address.is_enterprise_install)
        return bot.bot_token if bot else None

    return lookup


def make_slack_notifier(settings: Settings, sessions: sessionmaker[Session]) -> SlackNotifier | None:
    """The notifier workers register, or None when Slack is off."""
    if not settings.slack_enabled:
        return None
    return SlackNotifier(settings, sessions, make_token_lookup(settings, sessions.kw["bind"]))
