"""A fake HTTP server on 127.0.0.1 for tests: routes registered per test, every request recorded.

Use the `http_server` fixture (re-export it from a conftest: `from tests.fakes.http_server import http_server`):

    http_server.add("/v.mp4", data, "video/mp4")             # static bytes, with Range support
    http_server.add_flaky("/v.mp4", data, fail_times=2)      # 500 twice, then the bytes
    http_server.add_cut("/v.mp4", data, cut_after=1000)      # first answer breaks off after 1000 bytes
    url = http_server.url("/v.mp4"); http_server.hits("/v.mp4")
    http_server.route("/token", lambda req, n: Reply(200, b"{}", "application/json"))   # any method; req.form, req.query
    http_server.route_prefix("/api/v1/sessions/", route)      # paths with ids in them
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def query(self) -> dict[str, str]:
        """The query string's parameters (the last value of a repeated name)."""
        from urllib.parse import parse_qsl, urlsplit

        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    @property
    def form(self) -> dict[str, str]:
        """A form-encoded body's fields."""
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode("latin-1"), keep_blank_values=True))


@dataclass
class Reply:
    """What a route answers: a status, headers and a body, optionally broken off or slowed down."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)
    ranges: bool = True            # honour Range requests with 206 answers
    cut_after: int | None = None   # close the connection after this many body bytes
    delay: float = 0.0             # seconds to wait before answering
    send_length: bool = True       # False: no Content-Length, the body ends when the connection closes


Route = Callable[[RecordedRequest, int], Reply]
"""A route gets the request and how many times it was hit before (0 for the first), and returns a Reply."""


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    if not value.startswith("bytes=") or "," in value:
        return None
    first, _, last = value[6:].partition("-")
    if not first.isdigit():
        return None
    start = int(first)
    end = int(last) if last.isdigit() else size - 1
    return start, min(end, size - 1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:
        self._serve(head=False)

    def do_PUT(self) -> None:
        self._serve(head=False)

    def do_DELETE(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        fake = self.server.fake
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        route, count = fake._take(path, request)
        reply = route(request, count) if route else Reply(404, b"not found", "text/plain")
        if reply.delay:
            time.sleep(reply.delay)
        status, body, headers = reply.status, reply.body, dict(reply.headers)
        if reply.ranges and status == 200:
            headers.setdefault("Accept-Ranges", "bytes")
            wanted = request.headers.get("range")
            rng = _parse_range(wanted, len(body)) if wanted else None
            if wanted and rng is None or (rng and rng[0] >= len(body)):
                status, headers["Content-Range"], body = 416, f"bytes */{len(body)}", b""
            elif rng:
                status, headers["Content-Range"] = 206, f"bytes {rng[0]}-{rng[1]}/{len(body)}"
                body = body[rng[0]:rng[1] + 1]
        self.send_response(status)
        self.send_header("Content-Type", reply.content_type)
        if reply.send_length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if head:
            return
        if reply.cut_after is not None and reply.cut_after < len(body):
            self.wfile.write(body[:reply.cut_after])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeHTTPServer"


class FakeHTTPServer:
    """A threaded HTTP server on a random loopback port; routes are added by tests and requests are recorded."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._prefixes: dict[str, Route] = {}
        self._hits: dict[str, int] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                         name=f"fake-http-{self.port}", daemon=True)
        self._thread.start()

    def _take(self, path: str, request: RecordedRequest) -> tuple[Route | None, int]:
        with self._lock:
            self.requests.append(request)
            count = self._hits.get(path, 0)
            self._hits[path] = count + 1
            route = self._routes.get(path)
            if route is None:
                # the longest registered prefix answers paths with ids in them (`/api/v1/sessions/<id>`)
                for prefix in sorted(self._prefixes, key=len, reverse=True):
                    if path.startswith(prefix):
                        return self._prefixes[prefix], count
            return route, count

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> int:
        """How many requests reached `path`."""
        with self._lock:
            return self._hits.get(path, 0)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests for `path` (query strings ignored)."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def route(self, path: str, route: Route) -> None:
        """Register a route function for `path`."""
        self._routes[path] = route

    def route_prefix(self, prefix: str, route: Route) -> None:
        """Register a route function for every path starting with `prefix` that has no exact route."""
        self._prefixes[prefix] = route

    def add(self, path: str, body: bytes, content_type: str = "application/octet-stream", *, status: int = 200,
            headers: dict[str, str] | None = None, ranges: bool = True) -> None:
        """Static bytes (with Range support unless `ranges=False`)."""
        reply = Reply(status, body, content_type, dict(headers or {}), ranges)
        self.route(path, lambda req, n: reply)

    def add_unsized(self, path: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        """Bytes without a Content-Length header (the size is known only at the end)."""
        reply = Reply(200, body, content_type, ranges=False, send_length=False)
        self.route(path, lambda req, n: reply)

    def add_status(self, path: str, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """Always the same status (404, 403, 500...)."""
        self.add(path, body, "text/plain", status=status, headers=headers, ranges=False)

    def add_html(self, path: str, html: str = "<!DOCTYPE html><html><head><title>Lecture</title></head>"
                                              "<body><video src='x'></video></body></html>") -> None:
        """A web page, as a video portal's viewer page would answer."""
        self.add(path, html.encode(), "text/html; charset=utf-8", ranges=False)

    def add_flaky(self, path: str, body: bytes, *, fail_times: int, status: int = 500,
                  content_type: str = "application/octet-stream", fail_headers: dict[str, str] | None = None) -> None:
        """Answer `status` for the first `fail_times` requests, then the bytes."""
        def route(req: RecordedRequest, n: int) -> Reply:
            if n < fail_times:
                return Reply(status, b"try later", "text/plain", dict(fail_headers or {}), ranges=False)
            return Reply(200, body, content_type)
        self.route(path, route)

    def add_cut(self, path: str, body: bytes, *, cut_after: int, times: int = 1, ranges: bool = True,
                content_type: str = "application/octet-stream") -> None:
        """Break the connection after `cut_after` body bytes for the first `times` requests."""
        def route(req: RecordedRequest, n: int) -> Reply:
            return Reply(200, body, content_type, ranges=ranges, cut_after=cut_after if n < times else None)
        self.route(path, route)

    def add_slow(self, path: str, body: bytes, *, delay: float, content_type: str = "application/octet-stream") -> None:
        """Wait `delay` seconds before answering."""
        reply = Reply(200, body, content_type, delay=delay)
        self.route(path, lambda req, n: reply)

    def add_redirect(self, path: str, location: str, status: int = 302) -> None:
        """A redirect to `location`."""
        self.add(path, b"", "text/plain", status=status, headers={"Location": location}, ranges=False)

    def add_playlist(self, path: str, text: str, content_type: str = "application/vnd.apple.mpegurl") -> None:
        """An HLS playlist."""
        self.add(path, text.encode(), content_type, ranges=False)

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def http_server() -> Iterator[FakeHTTPServer]:
    """A fresh fake server for one test, stopped at teardown."""
    server = FakeHTTPServer()
    try:
        yield server
    finally:
        server.close()
