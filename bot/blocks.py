"""Block Kit builders: every message is re-rendered whole from the job row, never patched, so a late or
duplicate update cannot leave a message half old, half new. Each builder returns (fallback text, blocks)."""

from __future__ import annotations

from typing import Any

from pipeline.models import Job, JobStatus

CANCEL = "handout_cancel"
RETRY = "handout_retry"
REDELIVER = "handout_redeliver"
PROFILE_SELECT = "home_profile_select"
PANOPTO_CONNECT = "panopto_connect"
PANOPTO_DISCONNECT = "panopto_disconnect"

_STATUS = {
    JobStatus.QUEUED: (":hourglass_flowing_sand:", "Queued"),
    JobStatus.RUNNING: (":gear:", "Working"),
    JobStatus.COMPLETED: (":white_check_mark:", "Done"),
    JobStatus.COMPLETED_WITH_WARNINGS: (":warning:", "Done, with warnings"),
    JobStatus.FAILED: (":x:", "Failed"),
    JobStatus.CANCELLED: (":no_entry_sign:", "Cancelled"),
}


def escape_mrkdwn(text: str) -> str:
    """Slack's mrkdwn escapes only these three: user text with them cannot mention (<!channel>) or link."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")



def _button(text: str, action_id: str, job_id: str, style: str | None = None) -> dict:
    b: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id,
                         "value": job_id}
    if style:
        b["style"] = style
    return b


def job_label(job: Job) -> str:
    """The name people know a job by: its title, or the end of its link."""
    return job.title or job.source.rsplit("/", 1)[-1].split("?", 1)[0][:80] or job.source[:80]


def _bar(percent: float, width: int = 20) -> str:
    filled = int(round(width * max(0.0, min(100.0, percent)) / 100))
    return "█" * filled + "░" * (width - filled)


RELINK = "Run `/handout panopto connect` to link your Panopto account again, then press *Retry*."


def _needs_panopto_link(job: Job) -> bool:
    """A job that failed because its requester's Panopto link is missing or lapsed."""
    return job.status == JobStatus.FAILED and (job.error or {}).get("code") == "panopto_not_linked"


def progress_message(job: Job, stages: list[str], *, delivery_error: str | None = None) -> tuple[str, list[dict]]:
    """The one message per job in the channel: status, stage, bar, and Cancel / Retry as the state allows."""
    icon, label = _STATUS.get(job.status, (":grey_question:", job.status))
    name = job_label(job)
    if job.status == JobStatus.RUNNING and job.stage in stages:
        where = f"Stage {stages.index(job.stage) + 1}/{len(stages)}: {job.stage} · {job.progress:.0f}%"
    else:
        where = f"{label} · {job.progress:.0f}%"
    lines = [f"{icon} *{escape_mrkdwn(name)}*", where, f"`{_bar(job.progress)}`"]
    if job.message and job.status not in (JobStatus.COMPLETED,):
        lines.append(escape_mrkdwn(job.message[:300]))
    if job.cancel_requested and not job.is_terminal:
        lines.append("_Cancelling…_")
    if _needs_panopto_link(job):
        lines.append(RELINK)
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]
    requester = getattr(job.address, "user_id", None)
    context = f"Job `{job.id}`" + (f" · requested by <@{requester}>" if requester else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    buttons = []
    if not job.is_terminal and not job.cancel_requested:
        buttons.append(_button("Cancel", CANCEL, job.id, "danger"))
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        buttons.append(_button("Retry", RETRY, job.id, "primary"))
    if delivery_error and job.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS):
        buttons.append(_button("Retry delivery", REDELIVER, job.id, "primary"))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"job_{job.id}", "elements": buttons})
    return f"{label}: {escape_mrkdwn(name)} ({job.progress:.0f}%)", blocks


def _duration(seconds: float | None) -> str:
    if not seconds:
        return "unknown length"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {s:02d} s"


def summary_message(title: str, slides: int | None, duration: float | None, produced: list[str],
                    missing: list[str], *, sources: str | None = None) -> tuple[str, list[dict]]:
    """The delivery summary posted in the job's thread: title, slide count, length, where the slides and
    captions came from, what is and isn't there."""
    facts = f"*{escape_mrkdwn(title)}*\n{slides if slides is not None else '?'} slides · {_duration(duration)}"
    if sources:
        facts += f"\n_{escape_mrkdwn(sources[0].upper() + sources[1:])}_"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": facts}}]
    if produced:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Produced*\n" + "\n".join(
            f"• {escape_mrkdwn(p)}" for p in produced[:30])}})
    if missing:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Missing*\n" + "\n".join(
            f"• {escape_mrkdwn(m[:280])}" for m in missing[:20])}})
    text = (f"Handout ready: {escape_mrkdwn(title)} ({len(produced)} files"
            + (f", {len(missing)} missing)" if missing else ")"))
    return text, blocks


def dm_message(job: Job, links: dict[str, str], channel_id: str | None) -> tuple[str, list[dict]]:
    """The direct message to the requester and instructors when a job ends."""
    icon, label = _STATUS.get(job.status, (":grey_question:", job.status))
    where = f" in <#{channel_id}>" if channel_id and channel_id[:1] in "CG" else ""
    lines = [f"{icon} *{escape_mrkdwn(job_label(job))}*: {label.lower()}{where}"]
    if job.status == JobStatus.FAILED and job.error:
        lines.append(escape_mrkdwn(job.error.get("message", "")[:500]))
    if _needs_panopto_link(job):
        lines.append(RELINK)
    if job.warnings:
        lines.append("Notes: " + escape_mrkdwn("; ".join(job.warnings)[:500]))
    if links:
        lines.append("\n".join(f"• <{url}|{escape_mrkdwn(name)}>" for name, url in list(links.items())[:20]))
    text = f"{label}: {escape_mrkdwn(job_label(job))}"
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}}]


def connect_message(host: str, link: str, minutes: float, *, pending: bool) -> tuple[str, list[dict]]:
    """The ephemeral answer asking a person to link their Panopto account (a link button, single use)."""
    text = (f"To make this handout, Handouts opens the recording on {escape_mrkdwn(host)} with *your own* Panopto "
            "account, so you get only what you may watch. Connect it once"
            + (" and your request starts by itself." if pending else "."))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f":link: {text}"}},
              {"type": "actions", "elements": [{"type": "button", "action_id": PANOPTO_CONNECT, "style": "primary",
                                                "text": {"type": "plain_text", "text": "Connect Panopto"},
                                                "url": link}]},
              {"type": "context", "elements": [{"type": "mrkdwn", "text":
                  f"The button works once, for {minutes:g} minutes. `/handout panopto disconnect` unlinks it."}]}]
    return text, blocks


def panopto_home_blocks(rows: list[tuple[str, str | None, str | None]]) -> list[dict]:
    """App Home's Panopto part: per server (host, linked-since text or None, connect link or None)."""
    blocks: list[dict] = [{"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn",
                                                                            "text": "*Panopto account*"}}]
    for host, since, link in rows:
        if since:
            text = f":white_check_mark: Linked on {escape_mrkdwn(host)} since {since}."
            button = {"type": "button", "action_id": PANOPTO_DISCONNECT, "value": host[:150], "style": "danger",
                      "text": {"type": "plain_text", "text": "Disconnect"}}
        else:
            text = f":heavy_minus_sign: Not linked on {escape_mrkdwn(host)}: Panopto links ask you to connect first."
            button = {"type": "button", "action_id": PANOPTO_CONNECT, "url": link or "",
                      "text": {"type": "plain_text", "text": "Connect Panopto"}}
        block: dict = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        if since or link:
            block["accessory"] = button
        blocks.append(block)
    return blocks


def home_view(jobs: list[Job], profiles: list[str], current: str | None,
              links: dict[str, dict[str, str]] | None = None, panopto: list[dict] | None = None) -> dict:
    """App Home: a default profile picker, the Panopto link, and the user's recent jobs with status and links."""
    options = [{"text": {"type": "plain_text", "text": p[:75]}, "value": p[:75]} for p in profiles[:100]]
    picker: dict[str, Any] = {"type": "static_select", "action_id": PROFILE_SELECT, "options": options,
                              "placeholder": {"type": "plain_text", "text": "Choose a profile"}}
    if current and current in profiles:
        picker["initial_option"] = next(o for o in options if o["value"] == current[:75])
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Handouts"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Default setting profile* for your `/handout` "
                                     "requests (a `--profile` in the command wins)."}, "accessory": picker},
        *(panopto or []),
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Your recent handouts*" if jobs else
                                     "No handouts yet. Try `/handout <video link>` in a channel."}},
    ]
    for job in jobs[:20]:  # 2 blocks a job keeps the view far under Slack's 100-block limit
        icon, label = _STATUS.get(job.status, (":grey_question:", job.status))
        files = (links or {}).get(job.id) or {}
        shown = " · ".join(f"<{url}|{escape_mrkdwn(name)}>" for name, url in files.items())
        text = f"{icon} *{escape_mrkdwn(job_label(job))}*: {label} ({job.progress:.0f}%)"
        if shown:
            text += "\n" + shown
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                                                        f"{job.created_at:%Y-%m-%d %H:%M} UTC · `{job.id}`"}]})
    return {"type": "home", "blocks": blocks}
