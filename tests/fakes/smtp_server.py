"""A local SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives.

    from tests.fakes.smtp_server import smtp_server   # a fixture; smtp_server.port, smtp_server.messages
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest


class _Keep:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class FakeSMTP:
    """aiosmtpd's threaded controller on a free loopback port."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._keep = _Keep()
        self._controller = Controller(self._keep, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def messages(self) -> list[Message]:
        with self._keep.lock:
            return list(self._keep.messages)

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[FakeSMTP]:
    pytest.importorskip("aiosmtpd", reason="aiosmtpd (the test extra) runs the local mail server")
    server = FakeSMTP()
    yield server
    server.stop()
