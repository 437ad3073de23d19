"""A server that trickles its answer a byte at a time is cut off at the request's wall-clock deadline.

httpx's own timeouts bound each socket read, and a byte every 50 ms never trips them; the deadline bounds the
whole request: its headers, its body, a playlist.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from pipeline.errors import SourceUnavailable
from pipeline.sources import fetch_source
from tests.sources.conftest import leftovers


class Trickle:
    """A loopback HTTP server that answers with `head` at once, then `tail` one byte every `gap` seconds."""

    def __init__(self, head: bytes, tail: bytes, gap: float = 0.05) -> None:
        self.head, self.tail, self.gap = head, tail, gap
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.head)
                for i in range(len(self.tail)):
                    if self.stop.is_set():
                        return
                    conn.sendall(self.tail[i:i + 1])
                    time.sleep(self.gap)
            except OSError:
                return  # the client gave up, as it should

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(2)


@pytest.fixture
def trickle():
    servers = []

    def make(head: bytes, tail: bytes) -> Trickle:
        servers.append(Trickle(head, tail))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def strict(settings):
    return settings.model_copy(update={"http_request_deadline": 1.0, "http_retries": 1, "http_timeout": 5.0})


def _fetch_fails_in_time(url, dest, settings, pattern: str) -> float:
    start = time.monotonic()
    with pytest.raises(SourceUnavailable, match=pattern):
        fetch_source(url, dest, settings)
    return time.monotonic() - start


def test_headers_sent_a_byte_at_a_time(trickle, dest, strict):
    server = trickle(b"HTTP/1.1 200 OK\r\n", b"X-Padding: " + b"a" * 10_000 + b"\r\n\r\n")
    took = _fetch_fails_in_time(server.url("/v.mp4"), dest, strict, "deadline")
    assert took < 6, took  # two attempts of one second each, not 10 000 bytes x 50 ms
    assert server.connections == 2 and leftovers(dest) == []


def test_a_playlist_sent_a_byte_at_a_time(trickle, dest, strict):
    body = b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n" + b"#EXTINF:4,\nseg.ts\n" * 2000
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.apple.mpegurl\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    server = trickle(head, body)
    took = _fetch_fails_in_time(server.url("/index.m3u8"), dest, strict, "deadline")
    assert took < 20, took
    assert leftovers(dest) == []


def test_a_body_sent_a_byte_at_a_time_is_bounded(trickle, dest, strict):
    body = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100_000
    head = b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %d\r\n\r\n" % len(body)
    server = trickle(head, body)
    took = _fetch_fails_in_time(server.url("/v.mp4"), dest, strict, "deadline")
    # each attempt is cut at the deadline; attempts that made progress are bounded too
    assert took < 30, took
    assert leftovers(dest) == []
