"""The instructor who asked for a handout from the LMS hears when it is done (or failed): one e-mail per job.

LTI has no way for a tool to message a user, so the tool sends mail itself (HANDOUTS_SMTP_*), to the address the
launch carried. Each mail is recorded in deliveries (target email:<address>, kind "outcome") before the worker
moves on, so no retry, reaper wake-up or second worker sends it twice.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy.orm import Session, sessionmaker

from pipeline.addresses import LtiAddress
from pipeline.deliveries import record, sent
from pipeline.errors import HandoutsError
from pipeline.logs import get_logger
from pipeline.models import Job, JobStatus
from pipeline.settings import Settings

log = get_logger("handouts.lti.notify")
KIND = "outcome"


class NotifyFailed(HandoutsError):
    code = "notify_failed"
    retryable = True


def _title(job: Job) -> str:
    return job.title or (job.options or {}).get("title") or "your lecture"


def compose(settings: Settings, job: Job, address: LtiAddress) -> EmailMessage:
    """The message for a finished or failed job, with a way back into the course."""
    ok = job.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_WARNINGS)
    title = _title(job)
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = address.email
    msg["Subject"] = f"Handout ready: {title}" if ok else f"Handout could not be made: {title}"
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "handouts")
    back = (f"Open it in your course: {address.return_url}" if address.return_url else
            "Open Handouts from your course to see it.")
    if ok:
        lines = [f"The handout for “{title}” is ready.", back]
        if job.warnings:
            lines.append("Some parts are missing: " + "; ".join(job.warnings[:5]))
    else:
        reason = (job.error or {}).get("message") or job.message or "an unknown error"
        lines = [f"The handout for “{title}” could not be made: {reason}",
                 "You can retry it from the Handouts page in your course.", back]
    msg.set_content("\n\n".join(lines) + "\n\n— Handouts\n")
    return msg


class LtiEmailNotifier:
    """Mails the requester of an LTI job once, when it finishes or fails."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions

    def job_event(self, rt, job_id: str, event: str) -> None:
        if event not in ("finished", "failed"):
            return
        with self.sessions() as s:
            job = s.get(Job, job_id)
            if job is None or job.origin != "lti" or not job.is_terminal:
                return
            address = job.address
            if not isinstance(address, LtiAddress):
                return
            if not address.email:
                log.info("lti_notify_no_email", job_id=job_id, tenant=job.tenant)  # the page shows it anyway
                return
            target = f"email:{address.email}"
            done = sent(s, job_id).get((target, KIND))
            if done is not None and done.status == "done":
                return
            msg = compose(self.settings, job, address)
            tenant = job.tenant
        try:
            self._send(msg)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
            record(self.sessions, job_id, target, KIND, status="failed", error=f"{type(e).__name__}: {e}")
            raise NotifyFailed(f"the e-mail to the instructor could not be sent ({type(e).__name__}: {e}); "
                               "check HANDOUTS_SMTP_HOST and HANDOUTS_SMTP_PORT", job_id=job_id) from None
        record(self.sessions, job_id, target, KIND, ref={"event": event, "message_id": msg["Message-ID"]})
        log.info("lti_notified", job_id=job_id, tenant=tenant, notify_event=event)

    def _send(self, msg: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
            smtp.ehlo()
            if s.smtp_starttls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
            smtp.send_message(msg)


def make_lti_notifier(settings: Settings, sessions: sessionmaker[Session]) -> LtiEmailNotifier | None:
    """The notifier workers register, or None when no mail server is configured."""
    if not settings.smtp_host:
        return None
    return LtiEmailNotifier(settings, sessions)
