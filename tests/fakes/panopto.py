"""A fake Panopto server on loopback, on a FakeHTTPServer: REST v1, legacyLogin, DeliveryInfo, captions, media.

    fake = install_panopto(http_server, accept_bearer=lambda token: token == "good-token")
    sid = fake.add_session(tmp_path, name="Week 3: Enzymes", slides=3, captions={0: [], 1: [(0, 2, "Hello")]})
    link = fake.viewer_url(sid)

What it serves (shapes from Panopto's public documentation and the player's own calls):
    GET  /Panopto/api/v1/sessions/{id}             bearer; 200 JSON, 401, 403, 404, 429, 503
    GET  /Panopto/api/v1/auth/legacyLogin          bearer; sets `.ASPXAUTH` and `csrfToken`; counts logins
    GET|POST /Panopto/Pages/Viewer/DeliveryInfo.aspx   cookie; Delivery JSON, or `getCaptions` cue lists;
                                                   `ErrorCode 2` without a valid cookie
    GET  /Panopto/Pages/Viewer/Image.aspx          cookie; PNG slides of the PowerPoint timestamps
    GET  /Panopto/Pages/Transcription/GenerateSRT.ashx  cookie; SRT, an empty body, or the sign-in page
    GET  /Panopto/Content/{id}/...                 cookie; MP4 with Range, HLS master/variant/segments with an
                                                   AES-128 key behind the cookie
It registers no `/Panopto/oauth2/...` route. Every request is in `server.requests` (method, path, headers, body).
Switches (`fake.fail`): not_found, forbidden, processing, no_streams, login_page, outage, rate_limit (a count of
429s before answering), login_required (DeliveryInfo always ErrorCode 2), expire_cookie_once.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply
from tests.fakes.media import make_clip

LOGIN_HTML = (b"<!DOCTYPE html><html><head><title>Sign in - Panopto</title></head><body><form action="
              b"'/Panopto/Pages/Auth/Login.aspx'><input name='password'></form></body></html>")


@dataclass
class FakeStream:
    tag: str                  # DV | SCREEN | OBJECT | AUDIO | PODCAST
    kind: str                 # mp4 | hls
    path: str                 # where its bytes are served (an .mp4, or the HLS master playlist)
    podcast: bool = False


@dataclass
class FakeSession:
    id: str
    name: str
    start_time: str
    duration: float
    streams: list[FakeStream] = field(default_factory=list)
    slides: list[tuple[float, str, int]] = field(default_factory=list)   # (time, object id, number)
    captions: dict[int, list[tuple[float, float, str]]] = field(default_factory=dict)
    percent_completed: float = 100.0
    srt: str | None = None                       # what GenerateSRT serves (language 0), when anything


@dataclass
class Failures:
    not_found: bool = False
    forbidden: bool = False
    processing: bool = False
    no_streams: bool = False
    login_page: bool = False          # REST and DeliveryInfo answer the sign-in page (HTML) with 200
    outage: bool = False              # every route answers 503
    rate_limit: int = 0               # this many 429 (Retry-After: 0) answers before the next real one
    login_required: bool = False      # DeliveryInfo answers ErrorCode 2 whatever the cookie
    expire_cookie_once: bool = False  # the first DeliveryInfo call after a login finds the cookie expired


def _png(colour: tuple[int, int, int], size=(320, 180)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, colour)
    ImageDraw.Draw(img).rectangle([20, 20, size[0] - 20, 40], fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _encrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


class PanoptoFake:
    """The state of a fake Panopto: sessions, issued cookies, failure switches, counters."""

    def __init__(self, server: FakeHTTPServer, accept_bearer: Callable[[str], bool]) -> None:
        self.server = server
        self.accept_bearer = accept_bearer
        self.sessions: dict[str, FakeSession] = {}
        self.fail = Failures()
        self.cookies: set[str] = set()
        self.logins = 0
        self.files: dict[str, tuple[bytes, str]] = {}     # path -> (body, content type)
        self.hls_key = os.urandom(16)
        self.slide_images: dict[tuple[str, int], bytes] = {}
        self._expired_once = False

    # --- building sessions -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.server.url("")

    def viewer_url(self, session_id: str, **extra: str) -> str:
        tail = "".join(f"&{k}={v}" for k, v in extra.items())
        return self.server.url(f"/Panopto/Pages/Viewer.aspx?id={session_id}{tail}")

    def add_session(self, folder: Path, *, name: str = "Week 3: Enzymes", start_time: str = "2026-03-04T09:00:00Z",
                    seconds: float = 6.0, screen: str | None = "mp4", podcast: str | None = "mp4",
                    slides: int = 0, captions: dict[int, list[tuple[float, float, str]]] | None = None,
                    srt: str | None = None,
                    slide_colours=((240, 240, 240), (30, 60, 200), (200, 40, 40))) -> str:
        """A session with a screen stream (silent, changing colours) and a podcast (a tone), in mp4 or hls."""
        sid = str(uuid.uuid4())
        folder = Path(folder) / sid
        folder.mkdir(parents=True, exist_ok=True)
        s = FakeSession(sid, name, start_time, seconds, captions=dict(captions or {}), srt=srt)
        if screen:
            clip = make_clip(folder / "screen.mp4", seconds=seconds, size=(320, 180), colours=slide_colours,
                             audio=None)
            s.streams.append(self._stream(sid, "SCREEN", screen, clip, folder / "screen-hls", False))
        if podcast:
            clip = make_clip(folder / "podcast.mp4", seconds=seconds, size=(160, 90), colours=((90, 90, 90),),
                             audio="tone")
            s.streams.append(self._stream(sid, "PODCAST", podcast, clip, folder / "podcast-hls", True))
        for i in range(slides):
            oid = str(uuid.uuid4())
            colour = slide_colours[i % len(slide_colours)]
            self.slide_images[(oid, i + 1)] = _png(colour)
            s.slides.append((round(i * seconds / max(slides, 1), 3), oid, i + 1))
        self.sessions[sid] = s
        return sid

    def _stream(self, sid: str, tag: str, kind: str, clip: Path, hls_dir: Path, podcast: bool) -> FakeStream:
        base = f"/Panopto/Content/{sid}/{tag.lower()}"
        if kind == "mp4":
            self.files[f"{base}.mp4"] = (clip.read_bytes(), "video/mp4")
            return FakeStream(tag, "mp4", f"{base}.mp4", podcast)
        from tests.sources.hls_maker import make_hls

        playlist = make_hls(hls_dir, seconds=max(2, int(round(self._seconds(clip)))), segment_seconds=2)
        lines = []
        for line in playlist.read_text().splitlines():
            if line.startswith("#EXT-X-MEDIA-SEQUENCE"):
                lines += [line, f'#EXT-X-KEY:METHOD=AES-128,URI="{base}/key"']
            elif line.endswith(".ts"):
                seq = int(line[len("index"):-3])
                data = (hls_dir / line).read_bytes()
                self.files[f"{base}/{line}"] = (_encrypt(data, self.hls_key, seq.to_bytes(16, "big")), "video/mp2t")
                lines.append(line)
            else:
                lines.append(line)
        self.files[f"{base}/index.m3u8"] = ("\n".join(lines).encode(), "application/vnd.apple.mpegurl")
        master = f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=160x90\nindex.m3u8\n"
        self.files[f"{base}/master.m3u8"] = (master.encode(), "application/vnd.apple.mpegurl")
        self.files[f"{base}/key"] = (self.hls_key, "application/octet-stream")
        return FakeStream(tag, "hls", f"{base}/master.m3u8", podcast)

    @staticmethod
    def _seconds(clip: Path) -> float:
        import av

        with av.open(str(clip)) as c:
            return float(c.duration or 0) / 1_000_000

    # --- request helpers ------------------------------------------------------------------------------------

    def _bearer_ok(self, req: RecordedRequest) -> bool:
        auth = req.headers.get("authorization", "")
        return auth.startswith("Bearer ") and self.accept_bearer(auth[len("Bearer "):])

    def _cookie_ok(self, req: RecordedRequest) -> bool:
        jar = SimpleCookie()
        jar.load(req.headers.get("cookie", ""))
        morsel = jar.get(".ASPXAUTH")
        return morsel is not None and morsel.value in self.cookies

    def _common(self) -> Reply | None:
        if self.fail.outage:
            return Reply(503, b"Service Unavailable", "text/plain", ranges=False)
        if self.fail.rate_limit > 0:
            self.fail.rate_limit -= 1
            return Reply(429, b"Too Many Requests", "text/plain", {"Retry-After": "0"}, ranges=False)
        return None

    @staticmethod
    def _json(data, status: int = 200) -> Reply:
        return Reply(status, json.dumps(data).encode(), "application/json; charset=utf-8", ranges=False)

    # --- routes ----------------------------------------------------------------------------------------------

    def rest_session(self, req: RecordedRequest, n: int) -> Reply:
        if (early := self._common()) is not None:
            return early
        if not self._bearer_ok(req):
            return self._json({"Message": "Authorization has been denied for this request."}, 401)
        if self.fail.login_page:
            return Reply(200, LOGIN_HTML, "text/html; charset=utf-8", ranges=False)
        sid = req.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
        s = self.sessions.get(sid)
        if s is None or self.fail.not_found:
            return self._json({"Message": "Not found"}, 404)
        if self.fail.forbidden:
            return self._json({"Message": "Forbidden"}, 403)
        pct = 42.0 if self.fail.processing else s.percent_completed
        return self._json({"Id": s.id, "Name": s.name, "Description": "", "StartTime": s.start_time,
                           "Duration": s.duration, "PercentCompleted": pct,
                           "Urls": {"ViewerUrl": self.viewer_url(s.id)}})

    def legacy_login(self, req: RecordedRequest, n: int) -> Reply:
        if (early := self._common()) is not None:
            return early
        if not self._bearer_ok(req):
            return self._json({"Message": "Authorization has been denied for this request."}, 401)
        self.logins += 1
        value = secrets.token_hex(16)
        self.cookies.add(value)
        return Reply(200, b"", "application/json", {"Set-Cookie": f".ASPXAUTH={value}; path=/; HttpOnly",
                                                   "set-cookie": f"csrfToken={secrets.token_hex(8)}; path=/"},
                     ranges=False)

    def delivery_info(self, req: RecordedRequest, n: int) -> Reply:
        if (early := self._common()) is not None:
            return early
        params = {**req.query, **(req.form if req.method == "POST" else {})}
        if self.fail.login_page:
            return Reply(200, LOGIN_HTML, "text/html; charset=utf-8", ranges=False)
        if self.fail.expire_cookie_once and not self._expired_once:
            self._expired_once = True
            self.cookies.clear()
        if self.fail.login_required or not self._cookie_ok(req):
            return self._json({"ErrorCode": 2, "ErrorMessage": "You must be logged in to view this session."})
        s = self.sessions.get((params.get("deliveryId") or "").lower())
        if s is None or self.fail.not_found:
            return self._json({"ErrorCode": 1, "ErrorMessage": "The requested session was not found."})
        if self.fail.forbidden:
            return self._json({"ErrorCode": 3, "ErrorMessage": "You do not have access to this session."})
        if params.get("getCaptions") == "true":
            lang = int(params.get("language", "0"))
            return self._json([{"Caption": t, "Time": a, "Duration": b - a} for a, b, t in s.captions.get(lang, [])])
        streams = [] if self.fail.no_streams else s.streams

        def stream(x: FakeStream) -> dict:
            url = self.server.url(x.path)
            return {"PublicID": str(uuid.uuid4()), "Name": x.tag.title(), "Tag": None if x.podcast else x.tag,
                    "StreamUrl": url, "StreamHttpUrl": url if x.kind == "mp4" else None,
                    "ViewerMediaFileTypeName": x.kind, "StreamType": 1}

        timestamps = [{"EventTargetType": "PowerPoint", "ObjectIdentifier": oid, "ObjectSequenceNumber": num,
                       "Time": t, "Caption": f"Slide {num}"} for t, oid, num in s.slides]
        timestamps.append({"EventTargetType": "ObjectVideo", "Time": 1.0, "Caption": "not a slide"})
        return self._json({"InvocationId": str(uuid.uuid4()), "Delivery": {
            "SessionName": s.name, "Duration": s.duration, "SessionStartTime": 0, "IsBroadcast": False,
            "IsActiveBroadcast": False, "AvailableLanguages": sorted(s.captions),
            "Streams": [stream(x) for x in streams if not x.podcast],
            "PodcastStreams": [stream(x) for x in streams if x.podcast], "Timestamps": timestamps}})

    def image(self, req: RecordedRequest, n: int) -> Reply:
        if (early := self._common()) is not None:
            return early
        if not self._cookie_ok(req):
            return Reply(302, b"", "text/plain", {"Location": "/Panopto/Pages/Auth/Login.aspx"}, ranges=False)
        q = req.query
        body = self.slide_images.get((q.get("id", ""), int(q.get("number", "0") or 0)))
        return Reply(200, body, "image/png", ranges=False) if body else Reply(404, b"", "text/plain", ranges=False)

    def generate_srt(self, req: RecordedRequest, n: int) -> Reply:
        if (early := self._common()) is not None:
            return early
        if not self._cookie_ok(req):
            return Reply(200, LOGIN_HTML, "text/html; charset=utf-8", ranges=False)
        s = self.sessions.get(req.query.get("id", "").lower())
        body = s.srt if s is not None and s.srt and req.query.get("language") == "0" else ""
        return Reply(200, body.encode(), "text/plain; charset=utf-8", ranges=False)

    def content(self, req: RecordedRequest, n: int) -> Reply:
        if (early := self._common()) is not None:
            return early
        path = req.path.split("?", 1)[0]
        if not self._cookie_ok(req):
            return Reply(200, LOGIN_HTML, "text/html; charset=utf-8", ranges=False)
        found = self.files.get(path)
        if found is None:
            return Reply(404, b"not found", "text/plain", ranges=False)
        body, ctype = found
        return Reply(200, body, ctype, ranges=ctype.startswith("video/"))


def install_panopto(server: FakeHTTPServer, *, accept_bearer: Callable[[str], bool]) -> PanoptoFake:
    """Register the fake Panopto's routes on `server` (no OAuth routes) and return its state."""
    fake = PanoptoFake(server, accept_bearer)
    server.route_prefix("/Panopto/api/v1/sessions/", fake.rest_session)
    server.route("/Panopto/api/v1/auth/legacyLogin", fake.legacy_login)
    server.route("/Panopto/Pages/Viewer/DeliveryInfo.aspx", fake.delivery_info)
    server.route("/Panopto/Pages/Viewer/Image.aspx", fake.image)
    server.route("/Panopto/Pages/Transcription/GenerateSRT.ashx", fake.generate_srt)
    server.route_prefix("/Panopto/Content/", fake.content)
    return fake
