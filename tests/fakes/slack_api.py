"""A fake Slack Web API on 127.0.0.1 (give its `api_url` to WebClient as base_url), recording every call.

Stateful where the app depends on state: chat.postMessage returns a channel and ts that chat.update must name
(else message_not_found); channels know whether the bot is a member; conversations.open returns a D… id; the
three upload steps check the byte count against `length`; response_url posts are kept. Tests script
failures per method (`fail("chat.update", 429, retry_after=1)`) and per upload (`fail_upload(2)`).

Use the `slack_api` fixture (re-export it from a conftest: `from tests.fakes.slack_api import slack_api`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest


@dataclass
class Call:
    """One request as the fake saw it."""

    method: str
    params: dict
    token: str | None
    at: float = field(default_factory=time.monotonic)


class FakeSlack:
    """State and scripts of the fake; the server thread calls `handle`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.responses: list[dict] = []          # bodies posted to response_url
        self.tokens: dict[str, str] = {}         # bot token -> team id
        self.channels: dict[str, dict] = {}      # id -> {"is_member": bool, "is_im": bool}
        self.messages: dict[tuple[str, str], dict] = {}
        self.files: dict[str, dict] = {}
        self.pending_uploads: dict[str, dict] = {}
        self.failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self.upload_failures: set[int] = set()   # 1-based numbers of raw uploads that answer 500
        self.uploads_seen = 0
        self.oauth_codes: dict[str, dict] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self.url = ""

    # ---- set-up from tests ------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.url}/respond/{name}"

    def add_workspace(self, team_id: str, token: str) -> None:
        self.tokens[token] = team_id

    def add_channel(self, channel_id: str, *, member: bool = True, im: bool = False) -> None:
        self.channels[channel_id] = {"is_member": member, "is_im": im}

    def fail(self, method: str, status: int = 200, error: str | None = None, *, retry_after: float | None = None,
             times: int = 1) -> None:
        """The next `times` calls of `method` answer `status` (and `error`, or 429 with Retry-After)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fake_failure")}
        self.failures.setdefault(method, []).extend([(status, body, headers)] * times)

    def fail_upload(self, number: int) -> None:
        """The `number`th raw file upload (counting from 1 over the test) answers 500."""
        self.upload_failures.add(number)

    # ---- reading from tests -----------------------------------------------------------------------------
    def called(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        with self.lock:
            return [c.method for c in self.calls]

    def wait_for(self, predicate, timeout: float = 20.0) -> bool:
        """Poll until `predicate()` holds (listeners finish on their own threads after the ack)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.02)
        return bool(predicate())

    def channel_files(self, channel: str) -> list[dict]:
        return [f for f in self.files.values() if f.get("channel") == channel]

    # ---- the API ----------------------------------------------------------------------------------------
    def handle(self, method: str, params: dict, token: str | None) -> tuple[int, dict, dict]:
        with self.lock:
            self.calls.append(Call(method, params, token))
            scripted = self.failures.get(method)
            if scripted:
                return scripted.pop(0)
        if method == "oauth.v2.access":
            return self._oauth(params)
        team = self.tokens.get(token or "")
        if team is None:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        fn = getattr(self, "_" + method.replace(".", "_"), None)
        if fn is None:
            return 200, {"ok": True}, {}
        return fn(team, params)

    def _auth_test(self, team, p):
        return 200, {"ok": True, "team_id": team, "team": f"Team {team}", "user_id": "UBOT", "bot_id": "BBOT",
                     "url": f"https://{team.lower()}.slack.com/"}, {"x-oauth-scopes": "commands,chat:write"}

    def _conversations_info(self, team, p):
        ch = self.channels.get(p.get("channel"))
        if ch is None:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        return 200, {"ok": True, "channel": {"id": p["channel"], **ch}}, {}

    def _conversations_open(self, team, p):
        user = p.get("users", "")
        return 200, {"ok": True, "channel": {"id": "D" + user}}, {}

    def _postable(self, channel: str) -> bool:
        ch = self.channels.get(channel)
        return channel.startswith("D") or (ch is not None and ch["is_member"])

    def _chat_postMessage(self, team, p):
        channel = p.get("channel", "")
        if not self._postable(channel):
            return 200, {"ok": False, "error": "not_in_channel"}, {}
        ts = f"{1700000000 + next(self._ts)}.000100"
        with self.lock:
            self.messages[(channel, ts)] = {"text": p.get("text"), "blocks": p.get("blocks"),
                                            "thread_ts": p.get("thread_ts"), "edits": 0}
        return 200, {"ok": True, "channel": channel, "ts": ts}, {}

    def _chat_update(self, team, p):
        key = (p.get("channel"), p.get("ts"))
        with self.lock:
            msg = self.messages.get(key)
            if msg is None:
                return 200, {"ok": False, "error": "message_not_found"}, {}
            msg.update(text=p.get("text"), blocks=p.get("blocks"), edits=msg["edits"] + 1)
        return 200, {"ok": True, "channel": key[0], "ts": key[1]}, {}

    def _files_getUploadURLExternal(self, team, p):
        file_id = f"F{next(self._ids):05d}"
        with self.lock:
            self.pending_uploads[file_id] = {"name": p.get("filename"), "length": int(p.get("length", -1)),
                                             "data": None}
        return 200, {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}, {}

    def _files_completeUploadExternal(self, team, p):
        entries = json.loads(p.get("files", "[]"))
        channel = p.get("channel_id")
        if channel and not self._postable(channel):
            return 200, {"ok": False, "error": "not_in_channel"}, {}
        out = []
        with self.lock:
            for e in entries:
                up = self.pending_uploads.pop(e["id"], None)
                if up is None or up["data"] is None:
                    return 200, {"ok": False, "error": "file_not_found"}, {}
                f = {"id": e["id"], "title": e.get("title"), "name": up["name"], "size": len(up["data"]),
                     "permalink": f"https://fake.slack.com/files/{e['id']}/{up['name']}",
                     "channel": channel, "thread_ts": p.get("thread_ts")}
                self.files[e["id"]] = f
                out.append({k: v for k, v in f.items() if k not in ("channel", "thread_ts")})
        return 200, {"ok": True, "files": out}, {}

    def _views_publish(self, team, p):
        return 200, {"ok": True, "view": {"id": "V1"}}, {}

    def _oauth(self, p):
        install = self.oauth_codes.get(p.get("code", ""))
        if install is None:
            return 200, {"ok": False, "error": "invalid_code"}, {}
        return 200, install, {}

    def upload(self, file_id: str, data: bytes) -> int:
        with self.lock:
            self.uploads_seen += 1
            self.calls.append(Call("upload", {"file_id": file_id, "bytes": len(data)}, None))
            if self.uploads_seen in self.upload_failures:
                return 500
            up = self.pending_uploads.get(file_id)
            if up is None or up["length"] != len(data):
                return 400
            up["data"] = data
        return 200


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's name
        pass

    def _reply(self, status: int, body: dict | str, headers: dict | None = None) -> None:
        raw = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        if path.startswith("/upload/"):
            self._reply(fake.upload(path.rsplit("/", 1)[1], raw), "OK")
            return
        if path.startswith("/respond/"):
            with fake.lock:
                fake.responses.append(json.loads(raw or b"{}"))
            self._reply(200, "ok")
            return
        if not path.startswith("/api/"):
            self._reply(404, {"ok": False, "error": "unknown_path"})
            return
        if "json" in (self.headers.get("Content-Type") or ""):
            params = json.loads(raw or b"{}")
        else:
            params = dict(parse_qsl(raw.decode()))
            for key in ("blocks", "attachments"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
        auth = self.headers.get("Authorization") or ""
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else params.get("token")
        status, body, headers = fake.handle(path[len("/api/"):], params, token)
        self._reply(status, body, headers)

    do_GET = do_POST


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


def start_fake_slack() -> tuple[FakeSlack, _Server]:
    """Start a fake on a free loopback port; stop it with server.shutdown()."""
    fake = FakeSlack()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True).start()
    return fake, server


@pytest.fixture
def slack_api():
    """A running FakeSlack for one test."""
    fake, server = start_fake_slack()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
