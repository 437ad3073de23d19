"""Structured logs: JSON in production, readable in a terminal; every line carries its bound job, stage, tenant."""

from __future__ import annotations

import logging
import sys

import structlog

from .settings import Settings

_SECRET_KEYS = {"password", "token", "secret", "api_key", "authorization", "client_secret"}


def _drop_secrets(_logger, _name, event: dict) -> dict:
    for k in list(event):
        if any(s in k.lower() for s in _SECRET_KEYS):
            event[k] = "***"
    return event


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
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True), _drop_secrets,
                    structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "handouts"):
    return structlog.get_logger(name)
