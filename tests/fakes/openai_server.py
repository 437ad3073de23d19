"""A fake OpenAI HTTP API on 127.0.0.1 for tests that drive the real `openai` SDK.

A small router: `route(method, path, handler)` adds an endpoint (chat completions can be added by other
tests the same way); `fail_next(path, status, ...)` scripts failures ahead of the real answer; every request
is recorded in `requests`. Built in is POST /v1/audio/transcriptions, which decodes the uploaded audio
and answers verbose_json with one segment per `segment_seconds` of it.

    with FakeOpenAI() as fake:
        client = OpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=0)
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import av


@dataclass
class FakeRequest:
    """One request as the server saw it; `form` and `files` are filled for multipart bodies."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


@dataclass
class FakeResponse:
    status: int = 200
    body: object = None             # dict/list -> JSON, str/bytes as they are
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[FakeRequest], FakeResponse]


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], dict[str, tuple[str, bytes]]]:
    message = BytesParser(policy=default_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    form: dict[str, list[str]] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = (part.get_filename(), payload)
        else:
            form.setdefault(name, []).append(payload.decode())
    return form, files


def audio_seconds(data: bytes) -> float:
    """Length of an uploaded audio file, found by decoding it as the real service would."""
    with av.open(io.BytesIO(data)) as c:
        stream = c.streams.audio[0]
        samples = sum(frame.samples for frame in c.decode(stream))
        return samples / stream.codec_context.sample_rate


class FakeOpenAI:
    """The server; use as a context manager. `api_key` is the only key it accepts."""

    def __init__(self, *, api_key: str = "sk-test-fake", segment_seconds: float = 2.0) -> None:
        self.api_key = api_key
        self.segment_seconds = segment_seconds
        self.requests: list[FakeRequest] = []
        self._routes: dict[tuple[str, str], Handler] = {}
        self._failures: dict[str, list[FakeResponse]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.route("POST", "/v1/audio/transcriptions", self._transcribe)

    # --- set-up -------------------------------------------------------------------------------------------
    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method path` (path as the SDK sends it, e.g. /v1/chat/completions) with `handler`."""
        self._routes[(method.upper(), path)] = handler

    def fail_next(self, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None,
                  body: object = None) -> None:
        """Answer the next `times` requests to `path` with `status` before serving it normally."""
        body = body if body is not None else {"error": {"message": f"fake failure {status}", "type": "fake",
                                                        "code": None}}
        with self._lock:
            self._failures.setdefault(path, []).extend(
                FakeResponse(status, body, dict(headers or {})) for _ in range(times))

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first (use it as a context manager)"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def requests_to(self, path: str) -> list[FakeRequest]:
        return [r for r in self.requests if r.path == path]

    # --- built-in endpoints ---------------------------------------------------------------------------------
    def _transcribe(self, request: FakeRequest) -> FakeResponse:
        name, data = request.files.get("file", ("", b""))
        if not data:
            return FakeResponse(400, {"error": {"message": "no file", "type": "invalid_request_error"}})
        seconds = audio_seconds(data)
        segments = []
        t, k = 0.0, 0
        while t < seconds - 1e-3:
            end = min(t + self.segment_seconds, seconds)
            segments.append({"id": k, "seek": 0, "start": round(t, 3), "end": round(end, 3),
                             "text": f" {name} segment {k}", "tokens": [1, 2], "temperature": 0.0,
                             "avg_logprob": -0.2, "compression_ratio": 1.1, "no_speech_prob": 0.01})
            t, k = end, k + 1
        return FakeResponse(200, {"task": "transcribe", "language": "english", "duration": round(seconds, 3),
                                  "text": "".join(s["text"] for s in segments).strip(), "segments": segments})

    # --- serving --------------------------------------------------------------------------------------------
    def _handle(self, request: FakeRequest) -> FakeResponse:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return FakeResponse(401, {"error": {"message": "Incorrect API key provided.", "type":
                                                "invalid_request_error", "code": "invalid_api_key"}})
        with self._lock:
            queued = self._failures.get(request.path)
            if queued:
                return queued.pop(0)
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            return FakeResponse(404, {"error": {"message": f"no fake route {request.method} {request.path}"}})
        return handler(request)

    def __enter__(self) -> "FakeOpenAI":
        fake = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = FakeRequest(self.command, self.path.split("?", 1)[0], headers, body)
                if headers.get("content-type", "").startswith("multipart/form-data"):
                    request.form, request.files = _parse_multipart(headers["content-type"], body)
                response = fake._handle(request)
                payload = response.body
                if isinstance(payload, (dict, list)):
                    payload, ctype = json.dumps(payload).encode(), "application/json"
                elif isinstance(payload, str):
                    payload, ctype = payload.encode(), "text/plain"
                else:
                    payload, ctype = payload or b"", "application/octet-stream"
                self.send_response(response.status)
                self.send_header("Content-Type", response.headers.pop("Content-Type", ctype))
                for k, v in response.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args) -> None:   # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai",
                         daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
