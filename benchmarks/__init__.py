"""Benchmarks: commands that print our figures next to a peer measured in the same run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Only errors logged while a benchmark prints its table; the logging set-up as it was afterwards.

    Smoke tests call a benchmark's main() inside the test process, so what it silences must come back.
    Use as `with quiet_logs():` or as a decorator on main.
    """
    import structlog

    disabled, config = logging.root.manager.disable, structlog.get_config()
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    try:
        yield
    finally:
        logging.disable(disabled)
        structlog.configure(**config)
