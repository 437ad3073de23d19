"""Structured logs: JSON in production, readable in a terminal; every line carries its bound job, stage, tenant."""

from __future__ import annotations

import logging
import re
import sys
import traceback

import structlog

from .settings import Settings

_SECRET_KEYS = {"password", "token", "secret", "api_key", "authorization", "client_secret", "cookie", "bearer"}


_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")


def _hide_in_urls(text: str) -> str:
    from .sources.netguard import redact_url

    return _URL.sub(lambda m: redact_url(m.group(0)), text) if "://" in text else text


def _scrub(value, depth: int = 0):
    """A logged value with URLs redacted and secret-named fields masked, inside dicts and lists too."""
    if isinstance(value, str):
        return _hide_in_urls(value)
    if depth > 5:
        return value
    if isinstance(value, dict):
        return {k: "***" if isinstance(k, str) and any(s in k.lower() for s in _SECRET_KEYS)
                else _scrub(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub(v, depth + 1) for v in value)
    return value


def _drop_secrets(_logger, _name, event: dict) -> dict:
    """Mask fields named like secrets, and credentials or signatures inside any URL a line mentions (the
    rendered traceback included: it runs after format_exc_info, and an httpx error names the URL it fetched)."""
    for k in list(event):
        if any(s in k.lower() for s in _SECRET_KEYS):
            event[k] = "***"
        else:
            event[k] = _scrub(event[k])
    return event


def _redact_record(record: logging.LogRecord) -> None:
    """The same for lines from libraries' standard logging (httpx logs each request's URL), exceptions too."""
    message = record.getMessage()
    if "://" in message:
        record.msg, record.args = _hide_in_urls(message), None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info))
        if "://" in text:
            record.exc_text, record.exc_info = _hide_in_urls(text).rstrip("\n"), None


def _install_redacting_records() -> None:
    """Redact every standard-logging record as it is made, whichever logger (httpcore.http11, urllib3.connectionpool,
    huey.consumer…) and whichever handler (one a server adds later included) it goes to."""
    make = logging.getLogRecordFactory()
    if getattr(make, "handouts_redacts", False):
        return

    def redacting(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            _redact_record(record)
        except Exception:  # a message whose arguments do not fit it: the handler reports that, as it would have
            pass
        return record

    redacting.handouts_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting)


def configure_logging(settings: Settings, *, stream=None) -> None:
    """Set up structlog once per process from settings."""
    stream = stream or sys.stderr
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "console" if getattr(stream, "isatty", lambda: False)() else "json"
    renderer = (structlog.dev.ConsoleRenderer(colors=False) if fmt == "console"
                else structlog.processors.JSONRenderer())
    level = getattr(logging, settings.log_level.upper())
    logging.basicConfig(level=level, stream=stream, format="%(message)s")
    _install_redacting_records()  # every record, whatever its handler: no per-handler filter is needed
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))  # a line per request is noise
    # httpcore's debug trace prints response headers as they come (a Set-Cookie of a Panopto session among them)
    logging.getLogger("httpcore").setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.format_exc_info, _drop_secrets, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "handouts"):
    return structlog.get_logger(name)
