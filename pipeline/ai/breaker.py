"""A circuit breaker per AI endpoint: after N failures in a row, stop calling it for a while and say so.

While open, calls fail at once instead of each waiting out its own timeouts and retries, which would hold a
worker for minutes per job during an outage. After the cooldown one trial call goes through (half-open):
success closes the circuit, failure opens it for another cooldown.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Callable


class CircuitOpen(Exception):
    """Raised by `Breaker.before_call` while the circuit is open; `until` is the wall-clock time it reopens."""

    def __init__(self, endpoint: str, until: float, failures: int) -> None:
        self.endpoint = endpoint
        self.until = until
        self.failures = failures
        at = datetime.fromtimestamp(until).strftime("%H:%M:%S")
        super().__init__(f"{endpoint} failed {failures} times in a row; circuit open until {at}, "
                         "calls fail fast until then")


class Breaker:
    """Counts consecutive failures of one endpoint; thread-safe."""

    def __init__(self, endpoint: str, failures: int, cooldown: float, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.endpoint = endpoint
        self.threshold = failures
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        """closed, open or half-open."""
        with self._lock:
            if self._open_until is None:
                return "closed"
            return "open" if self._clock() < self._open_until else "half-open"

    def before_call(self) -> None:
        """Raise CircuitOpen while open; after the cooldown let exactly one trial call through."""
        with self._lock:
            if self._open_until is None:
                return
            if self._clock() < self._open_until or self._trial_running:
                raise CircuitOpen(self.endpoint, self._open_until, self._failures)
            self._trial_running = True

    def record_success(self) -> None:
        """The endpoint answered: close the circuit."""
        with self._lock:
            self._failures = 0
            self._open_until = None
            self._trial_running = False

    def record_failure(self) -> None:
        """The endpoint failed: count it, and open the circuit at the threshold (or when a trial call fails)."""
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.threshold:
                self._open_until = self._clock() + self.cooldown
            self._trial_running = False


_breakers: dict[str, Breaker] = {}
_registry_lock = threading.Lock()


def breaker_for(endpoint: str, failures: int, cooldown: float) -> Breaker:
    """The process-wide breaker of `endpoint` (a base URL), made on first use."""
    with _registry_lock:
        b = _breakers.get(endpoint)
        if b is None or (b.threshold, b.cooldown) != (failures, cooldown):
            b = _breakers[endpoint] = Breaker(endpoint, failures, cooldown)
        return b


def reset_breakers() -> None:
    """Forget every endpoint's state (tests, and an operator's "try again now")."""
    with _registry_lock:
        _breakers.clear()
