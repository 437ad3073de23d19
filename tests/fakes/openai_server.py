"""A fake OpenAI HTTP API on 127.0.0.1 for tests that drive the real `openai` SDK.

A small router: `route(method, path, handler)` adds an endpoint (chat completions can be added by other
tests the same way); `fail_next(path, status, ...)` scripts failures ahead of the real answer; every request
is recorded in `requests`. Built in is POST /v1/audio/transcriptions, which decodes the uploaded audio
and answers verbose_json with one segment per `segment_seconds` of it, and POST /v1/chat/completions, which
answers with replies scripted by `queue_chat(...)` or computed by `answer_chat_with(responder)`;
`answer_within_schema(seed)` makes it answer random JSON that fits exactly the response schema each request
sends (enums, required properties, nested objects and arrays, $ref recursion), as a model under strict
structured outputs would. Image parts of chat messages are checked as OpenAI checks them: a model not in
`vision_models` answers 400 to a request carrying one, and every image must be a decodable PNG/JPEG/WEBP/GIF data
URL; `count_usage(per_image)` makes replies report prompt tokens worked out from the request (text at four
characters a token, each image at `per_image(width, height, detail)`).

    with FakeOpenAI() as fake:
        client = OpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=0)
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import random
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


@dataclass
class ChatReply:
    """One scripted chat completion: `content` (a str as it is, anything else as JSON) or a `refusal`,
    with its finish reason, token usage, and a `delay` before answering (to outlast a client's timeout)."""

    content: object = None
    refusal: str | None = None
    finish_reason: str = "stop"
    prompt_tokens: int = 1000
    cached_tokens: int = 0
    completion_tokens: int = 200
    delay: float = 0.0


ChatResponder = Callable[[FakeRequest], "ChatReply | FakeResponse | dict | str"]


WORDS = ("enzyme substrate catalyst barrier pocket shape inhibitor rate protein energy site model chain pump "
         "signal gradient channel membrane cell water").split()


def random_within(schema: dict, rng: random.Random, root: dict | None = None, depth: int = 0) -> object:
    """A random value that fits `schema` (the strict subset: object, array, string, integer, enum, $ref).

    Arrays hold 1 to 4 items; below depth 6 a recursive array is left empty so that every tree ends."""
    root = root if root is not None else schema
    ref = schema.get("$ref")
    if ref is not None:
        schema = root["$defs"][ref.removeprefix("#/$defs/")]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return {k: random_within(v, rng, root, depth + 1) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        recursive = "$ref" in schema["items"]
        count = 0 if recursive and depth >= 6 else rng.randint(1 if not recursive else 0, 4)
        return [random_within(schema["items"], rng, root, depth + 1) for _ in range(count)]
    if kind == "integer":
        return rng.randint(0, 100)
    if kind == "number":
        return rng.uniform(0, 100)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9))).capitalize()
    raise ValueError(f"the fake cannot answer within a schema of type {kind!r}")


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


def image_parts(body: dict) -> list[dict]:
    """Every image_url part of a chat request's messages, in order."""
    return [part for m in body.get("messages", []) if isinstance(m.get("content"), list)
            for part in m["content"] if isinstance(part, dict) and part.get("type") == "image_url"]


def decode_image(part: dict) -> tuple[int, int]:
    """(width, height) of an image part's data URL; ValueError when it is not an image OpenAI would take."""
    from PIL import Image

    url = part.get("image_url", {}).get("url", "")
    head, _, data = url.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise ValueError("expected a base64 data URL of an image")
    try:
        raw = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(raw)) as img:
            if img.format not in ("PNG", "JPEG", "WEBP", "GIF"):
                raise ValueError(f"unsupported image format {img.format}")
            img.load()
            return img.size
    except (OSError, binascii.Error) as e:
        raise ValueError(f"the image cannot be decoded ({e})") from None


class FakeOpenAI:
    """The server; use as a context manager. `api_key` is the only key it accepts."""

    def __init__(self, *, api_key: str = "sk-test-fake", segment_seconds: float = 2.0,
                 vision_models: tuple[str, ...] | None = None) -> None:
        self.api_key = api_key
        self.segment_seconds = segment_seconds
        self.requests: list[FakeRequest] = []
        self._routes: dict[tuple[str, str], Handler] = {}
        self._failures: dict[str, list[FakeResponse]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._chat_queue: list[object] = []
        self._chat_responder: ChatResponder | None = None
        self._stopping = threading.Event()
        self.vision_models = vision_models      # None: every model takes images
        self._per_image: Callable[[int, int, str], int] | None = None
        self.route("POST", "/v1/audio/transcriptions", self._transcribe)
        self.route("POST", "/v1/chat/completions", self._chat)

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

    def queue_chat(self, *replies: object) -> None:
        """Answer the next chat completions with these, in order (ChatReply, FakeResponse, dict or str)."""
        with self._lock:
            self._chat_queue.extend(replies)

    def answer_chat_with(self, responder: ChatResponder | None) -> None:
        """Answer chat completions, once the queue is empty, with `responder(request)`."""
        self._chat_responder = responder

    def answer_within_schema(self, seed: int = 0) -> None:
        """Answer every chat completion with random JSON that fits the request's response schema."""
        rng = random.Random(seed)

        def responder(request: FakeRequest) -> ChatReply:
            schema = request.json()["response_format"]["json_schema"]["schema"]
            with self._lock:
                return ChatReply(random_within(schema, rng))

        self.answer_chat_with(responder)

    def count_usage(self, per_image: Callable[[int, int, str], int]) -> None:
        """Report prompt tokens computed from each request: text / 4 plus `per_image(w, h, detail)` per image."""
        self._per_image = per_image

    def chat_bodies(self) -> list[dict]:
        """The JSON bodies of every chat completion request so far."""
        return [r.json() for r in self.requests_to("/v1/chat/completions")]

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

    def _chat(self, request: FakeRequest) -> FakeResponse:
        body = request.json()
        images = image_parts(body)
        if images and self.vision_models is not None and body.get("model") not in self.vision_models:
            return FakeResponse(400, {"error": {"message": "Invalid content type. image_url is only supported by "
                                                "certain models.", "type": "invalid_request_error",
                                                "param": "messages", "code": None}})
        try:
            sizes = [decode_image(part) for part in images]
        except ValueError as e:
            return FakeResponse(400, {"error": {"message": f"Invalid image: {e}", "type": "invalid_request_error",
                                                "code": "invalid_image"}})
        with self._lock:
            reply = self._chat_queue.pop(0) if self._chat_queue else None
        if reply is None and self._chat_responder is not None:
            reply = self._chat_responder(request)
        if reply is None:
            return FakeResponse(500, {"error": {"message": "the fake has no chat answer scripted", "type": "fake"}})
        if isinstance(reply, FakeResponse):
            return reply
        if not isinstance(reply, ChatReply):
            reply = ChatReply(content=reply)
        if reply.delay and self._stopping.wait(reply.delay):
            return FakeResponse(503, {"error": {"message": "fake server stopping", "type": "fake"}})
        content = reply.content if reply.content is None or isinstance(reply.content, str) else \
            json.dumps(reply.content)
        if self._per_image is not None:
            text = sum(len(m["content"]) if isinstance(m["content"], str) else
                       sum(len(p.get("text", "")) for p in m["content"]) for m in body.get("messages", []))
            reply = ChatReply(**{**reply.__dict__, "prompt_tokens": -(-text // 4) + sum(
                self._per_image(w, h, part["image_url"].get("detail", "auto"))
                for (w, h), part in zip(sizes, images))})
        return FakeResponse(200, {
            "id": f"chatcmpl-fake-{len(self.requests)}", "object": "chat.completion", "created": 1_700_000_000,
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "finish_reason": reply.finish_reason, "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": reply.refusal}}],
            "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                      "total_tokens": reply.prompt_tokens + reply.completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": reply.cached_tokens}}})

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
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):   # the client gave up waiting (timeout tests)
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args) -> None:   # keep test output clean
                pass

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai",
                         daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
