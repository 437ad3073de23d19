"""Talking to one Panopto server for one stage: REST session lookup, the legacy cookie, DeliveryInfo, captions.

    with PanoptoClient(server, settings, bearer) as panopto:
        info = panopto.session(session_id)        # REST v1, bearer: name, start time, duration
        panopto.login()                           # bearer -> .ASPXAUTH cookie (legacyLogin), in memory only
        delivery = panopto.delivery(session_id)   # streams, PowerPoint timestamps, caption languages
        cues = panopto.captions(session_id, 0)

Credentials stay inside this object: the bearer goes only in the Authorization header of REST calls, the
cookie only in the client's jar (sent by httpx to the host that set it); neither is logged, put in a URL or in
an error. Transient faults (429, 5xx, resets, timeouts) are retried with backoff, honouring Retry-After; a
host that keeps failing opens its circuit for a while, so the worker stops knocking. Nothing here marks a
session as watched (no analytics call is ever made).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from ..errors import InputError, SourceUnavailable
from ..logs import get_logger
from ..settings import Settings
from ..sources.http import USER_AGENT, parse_retry_after
from ..sources.netguard import UrlGuard, pinned_transport
from ..types import CancelCheck, Cue, no_cancel
from .credentials import PanoptoAuthFailed
from .servers import PanoptoServer

log = get_logger("handouts.panopto")

API = "/Panopto/api/v1"
LEGACY_LOGIN = f"{API}/auth/legacyLogin"
DELIVERY_INFO = "/Panopto/Pages/Viewer/DeliveryInfo.aspx"
SLIDE_IMAGE = "/Panopto/Pages/Viewer/Image.aspx"
GENERATE_SRT = "/Panopto/Pages/Transcription/GenerateSRT.ashx"
SRT_LANGUAGES = ("0", "1", "English_USA", "English_UK")   # what GenerateSRT is known to accept
AUTH_COOKIE = ".ASPXAUTH"
CSRF_COOKIE = "csrfToken"
ERROR_LOGIN_REQUIRED = 2
MAX_JSON_BYTES = 32 * 1024 * 1024

# Panopto's caption language numbers, as its player uses them (DeliveryInfo `AvailableLanguages`).
LANGUAGES = ("en-US", "en-GB", "es-MX", "es-ES", "de-DE", "fr-FR", "nl-NL", "th-TH", "zh-CN", "zh-TW", "ko-KR",
             "ja-JP", "ru-RU", "pt-PT", "pl-PL", "en-AU", "da-DK", "fi-FI", "hu-HU", "nb-NO", "sv-SE", "it-IT")


# --- errors ----------------------------------------------------------------------------------------------------

class PanoptoSessionNotFound(InputError):
    code = "panopto_not_found"


class PanoptoForbidden(InputError):
    code = "panopto_forbidden"


class PanoptoProcessing(InputError):
    code = "panopto_processing"


class PanoptoNoStreams(InputError):
    code = "panopto_no_streams"


class PanoptoLoginPage(InputError):
    code = "panopto_login_page"


# --- politeness --------------------------------------------------------------------------------------------------

@dataclass
class RetryPolicy:
    """Backoff between attempts; module-level so tests can shorten it."""

    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 0.5
    retry_after_cap: float = 120.0


POLICY = RetryPolicy()


class _Transient(Exception):
    def __init__(self, detail: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail, self.status, self.retry_after = detail, status, retry_after


@dataclass
class _Breaker:
    failures: int = 0
    open_until: float = 0.0


_BREAKERS: dict[str, _Breaker] = {}
_DOWNLOAD_SLOTS: dict[str, threading.BoundedSemaphore] = {}
_LOCK = threading.Lock()


def reset_politeness() -> None:
    """Forget every host's circuit and download slots (tests)."""
    with _LOCK:
        _BREAKERS.clear()
        _DOWNLOAD_SLOTS.clear()


def _breaker(host: str) -> _Breaker:
    with _LOCK:
        return _BREAKERS.setdefault(host, _Breaker())


@contextmanager
def download_slot(host: str, per_host: int, cancel_check: CancelCheck = no_cancel) -> Iterator[None]:
    """At most `per_host` downloads from one Panopto host at a time in this worker process."""
    with _LOCK:
        slot = _DOWNLOAD_SLOTS.setdefault(host, threading.BoundedSemaphore(per_host))
    while not slot.acquire(timeout=0.5):
        cancel_check()
    try:
        yield
    finally:
        slot.release()


# --- what Panopto says -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionInfo:
    """The REST view of a session."""

    id: str
    name: str
    start_time: datetime | None
    duration: float | None
    percent_completed: float | None = None

    @property
    def date(self) -> str | None:
        return self.start_time.date().isoformat() if self.start_time else None


@dataclass(frozen=True)
class Stream:
    """One stream of a delivery: its tag (DV camera, SCREEN, OBJECT, AUDIO, PODCAST) and the URL to fetch."""

    tag: str
    name: str
    url: str
    media_type: str          # hls | mp4 | other
    podcast: bool = False

    @property
    def is_screen(self) -> bool:
        return self.tag in ("SCREEN", "OBJECT")


@dataclass(frozen=True)
class PptSlide:
    """A PowerPoint timestamp: when the slide came on, and how to ask for its image."""

    time: float
    object_id: str
    number: int
    caption: str = ""


@dataclass
class Delivery:
    """The player's view of a session (DeliveryInfo)."""

    name: str
    duration: float | None
    streams: list[Stream] = field(default_factory=list)
    podcast_streams: list[Stream] = field(default_factory=list)
    slides: list[PptSlide] = field(default_factory=list)
    languages: list[int] = field(default_factory=list)
    live: bool = False

    def slides_stream(self) -> Stream | None:
        """The stream to find slides in: the screen capture, else the podcast composite, else any."""
        screen = [s for s in self.streams if s.is_screen]
        return (screen or self.podcast_streams or self.streams or [None])[0]

    def audio_stream(self) -> Stream | None:
        """The stream to hear the lecture from: the podcast, else the camera, else the audio, else any."""
        camera = [s for s in self.streams if s.tag == "DV"]
        audio = [s for s in self.streams if s.tag == "AUDIO"]
        return (self.podcast_streams or camera or audio or self.streams or [None])[0]


def language_order(available: list[int], preferred: str | None, fallback: str) -> list[int]:
    """The caption languages to try: the preferred one first (exact, then by its language), then the rest."""
    def code(n: int) -> str:
        return LANGUAGES[n].lower() if 0 <= n < len(LANGUAGES) else ""

    wanted = [w.lower() for w in (preferred, fallback) if w]
    ranked: list[int] = []
    for w in wanted:
        ranked += [n for n in available if code(n) == w and n not in ranked]
        ranked += [n for n in available if code(n).split("-")[0] == w.split("-")[0] and n not in ranked]
    return ranked + [n for n in available if n not in ranked]


def language_name(n: int) -> str:
    return LANGUAGES[n] if 0 <= n < len(LANGUAGES) else f"language {n}"


def _media_type(value: Any, url: str) -> str:
    text = str(value or "").lower()
    path = url.split("?", 1)[0].lower()
    if "hls" in text or path.endswith(".m3u8"):
        return "hls"
    if "mp4" in text or path.endswith((".mp4", ".m4v")):
        return "mp4"
    return "other"


def _streams(items: Any, podcast: bool) -> list[Stream]:
    found = []
    for raw in items or []:
        if not isinstance(raw, dict):
            continue
        url = raw.get("StreamHttpUrl") or raw.get("StreamUrl")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        tag = str(raw.get("Tag") or ("PODCAST" if podcast else "")).upper()
        found.append(Stream(tag, str(raw.get("Name") or tag or "stream"), url,
                            _media_type(raw.get("ViewerMediaFileTypeName"), url), podcast))
    return found


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_delivery(data: dict) -> Delivery:
    """A Delivery from DeliveryInfo JSON (unknown fields ignored)."""
    d = data.get("Delivery") or {}
    slides = []
    for ts in d.get("Timestamps") or []:
        if not isinstance(ts, dict) or str(ts.get("EventTargetType", "")).lower() != "powerpoint":
            continue
        t, number = _number(ts.get("Time")), _number(ts.get("ObjectSequenceNumber"))
        if t is None or number is None or not ts.get("ObjectIdentifier"):
            continue
        slides.append(PptSlide(max(0.0, t), str(ts["ObjectIdentifier"]), int(number), str(ts.get("Caption") or "")))
    slides.sort(key=lambda s: s.time)
    languages = [int(n) for n in d.get("AvailableLanguages") or [] if isinstance(n, int) or str(n).isdigit()]
    return Delivery(str(d.get("SessionName") or ""), _number(d.get("Duration")), _streams(d.get("Streams"), False),
                    _streams(d.get("PodcastStreams"), True), slides, languages,
                    bool(d.get("IsActiveBroadcast") or (d.get("IsBroadcast") and not d.get("Streams"))))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


# --- the client --------------------------------------------------------------------------------------------------

class PanoptoClient:
    """One stage's conversation with one Panopto server on behalf of one person."""

    def __init__(self, server: PanoptoServer, settings: Settings, bearer: str, *, tenant: str = "",
                 user: str | None = None, cancel_check: CancelCheck = no_cancel,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not bearer:
            raise PanoptoAuthFailed(server.netloc, tenant, user)
        self.server, self.settings = server, settings
        self.tenant, self.user = tenant, user
        self.cancel_check = cancel_check
        self._bearer = bearer
        self.guard = UrlGuard(settings.allow_private_urls)
        self.http = httpx.Client(timeout=httpx.Timeout(settings.panopto_timeout),
                                 headers={"User-Agent": USER_AGENT},
                                 transport=transport or pinned_transport(self.guard), follow_redirects=False)
        self.logged_in = False

    def __enter__(self) -> "PanoptoClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drop the cookie and the connection pool."""
        self.http.cookies.clear()
        self._bearer = ""
        self.http.close()

    def __repr__(self) -> str:
        return f"PanoptoClient({self.server.base_url}, logged_in={self.logged_in})"

    @property
    def host(self) -> str:
        return self.server.netloc

    def url(self, path: str) -> str:
        return self.server.base_url + path

    # --- requests, retries, the circuit ---------------------------------------------------------------------

    def _send(self, method: str, path: str, *, what: str, bearer: bool = False, params: dict | None = None,
              form: dict | None = None, headers: dict | None = None) -> httpx.Response:
        """One call with retries and the host's circuit; returns a read response with status < 400 or raises."""
        breaker = _breaker(self.host)
        now = time.monotonic()
        if breaker.open_until > now:
            raise SourceUnavailable(self.host, f"Panopto on {self.host} failed several times in a row; Handouts "
                                    f"pauses calls to it for {breaker.open_until - now:.0f} s more; try again in a "
                                    "few minutes", retryable=True)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return min(exc.retry_after, POLICY.retry_after_cap)
            return min(POLICY.maximum, POLICY.initial * 2 ** (state.attempt_number - 1)) + random.uniform(
                0, POLICY.jitter)

        def sleep(seconds: float) -> None:
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                self.cancel_check()
                time.sleep(min(left, 0.2))

        retrying = Retrying(stop=stop_after_attempt(self.settings.panopto_retries + 1), wait=wait, sleep=sleep,
                            retry=retry_if_exception_type(_Transient), reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    response = self._once(method, path, what=what, bearer=bearer, params=params, form=form,
                                          headers=headers)
        except _Transient as e:
            with _LOCK:
                breaker.failures += 1
                if breaker.failures >= self.settings.panopto_breaker_failures:
                    breaker.open_until = time.monotonic() + self.settings.panopto_breaker_seconds
            log.warning("panopto_unavailable", host=self.host, what=what, status=e.status)
            raise SourceUnavailable(self.host, f"Panopto on {self.host} is not answering {what} ({e.detail}) after "
                                    f"{self.settings.panopto_retries + 1} tries; it may be down or busy: try again "
                                    "in a few minutes", status=e.status, retryable=True) from None
        with _LOCK:
            breaker.failures, breaker.open_until = 0, 0.0
        return response

    def _once(self, method: str, path: str, *, what: str, bearer: bool, params: dict | None, form: dict | None,
              headers: dict | None) -> httpx.Response:
        url = self.url(path)
        self.guard.check(url, self.host)
        self.cancel_check()
        head = {"Accept": "application/json", **(headers or {})}
        if bearer:
            head["Authorization"] = f"Bearer {self._bearer}"
        try:
            response = self.http.request(method, url, params=params, data=form, headers=head)
        except httpx.TransportError as e:
            raise _Transient(type(e).__name__) from None
        code = response.status_code
        if code == 429 or code >= 500 or code == 408:
            pause = parse_retry_after(response.headers.get("retry-after"))
            if pause is not None and pause > POLICY.retry_after_cap:
                raise SourceUnavailable(self.host, f"Panopto on {self.host} is busy ({code}) and asks to wait "
                                        f"{pause:.0f} s; try again later", status=code, retryable=True)
            raise _Transient(f"HTTP {code}", status=code, retry_after=pause)
        log.info("panopto_call", host=self.host, what=what, status=code)
        return response

    def _json(self, response: httpx.Response, what: str) -> Any:
        ctype = response.headers.get("content-type", "").lower()
        body = response.content[:MAX_JSON_BYTES + 1]
        if len(body) > MAX_JSON_BYTES:
            raise InputError(f"Panopto's answer to {what} is over {MAX_JSON_BYTES // 2**20} MB; that is not "
                             "a session description", source=self.host)
        if "html" in ctype or body.lstrip()[:1] == b"<" or response.is_redirect:
            raise PanoptoLoginPage(f"Panopto on {self.host} answered {what} with a web page (its sign-in page) "
                                   "instead of data: the linked Panopto account is not signed in there. Connect "
                                   "your Panopto account again and send the link again.", source=self.host)
        try:
            return json.loads(body)
        except ValueError:
            raise SourceUnavailable(self.host, f"Panopto on {self.host} answered {what} with something that is "
                                    "not JSON; try again in a few minutes", retryable=True) from None

    # --- REST ---------------------------------------------------------------------------------------------

    def session(self, session_id: str) -> SessionInfo:
        """Name, start time and duration from REST `sessions/{id}`; specific errors for missing or forbidden."""
        what = f"the lookup of session {session_id}"
        r = self._send("GET", f"{API}/sessions/{session_id}", what=what, bearer=True)
        if r.status_code == 401:
            raise PanoptoAuthFailed(self.host, self.tenant, self.user)
        if r.status_code == 403:
            raise self._forbidden(session_id)
        if r.status_code in (404, 410):
            raise self._not_found(session_id)
        if r.status_code >= 400 or r.is_redirect:
            if r.is_redirect:
                return self._json(r, what)  # raises PanoptoLoginPage
            raise SourceUnavailable(self.host, f"Panopto on {self.host} answered {what} with {r.status_code}; "
                                    "check the link, or try again later", status=r.status_code, retryable=False)
        data = self._json(r, what)
        if not isinstance(data, dict):
            raise SourceUnavailable(self.host, f"Panopto on {self.host} answered {what} with unexpected data; "
                                    "try again later", retryable=True)
        pct = _number(data.get("PercentCompleted"))
        info = SessionInfo(str(data.get("Id") or session_id), " ".join(str(data.get("Name") or "").split()),
                           _parse_time(data.get("StartTime")), _number(data.get("Duration")), pct)
        if pct is not None and pct < 100:
            raise self._processing(session_id, pct)
        return info

    def _not_found(self, session_id: str) -> PanoptoSessionNotFound:
        return PanoptoSessionNotFound(f"Panopto on {self.host} has no session {session_id}: it may have been "
                                      "deleted or moved; open the recording in Panopto and copy its link again.",
                                      source=self.host, session_id=session_id)

    def _forbidden(self, session_id: str) -> PanoptoForbidden:
        return PanoptoForbidden(f"your Panopto account may not view session {session_id} on {self.host}: ask "
                                "the recording's owner (or the course's instructor) to give you access, then send "
                                "the link again.", source=self.host, session_id=session_id)

    def _processing(self, session_id: str, pct: float | None) -> PanoptoProcessing:
        done = f" ({pct:.0f}% done)" if pct is not None else ""
        return PanoptoProcessing(f"Panopto is still processing session {session_id}{done}: try again when "
                                 "processing ends (Panopto shows the recording as ready).", source=self.host,
                                 session_id=session_id)

    # --- the legacy cookie -----------------------------------------------------------------------------------

    def login(self) -> None:
        """Trade the bearer for Panopto's session cookie (kept in this client's jar, nowhere else)."""
        r = self._send("GET", LEGACY_LOGIN, what="the sign-in for the player", bearer=True)
        if r.status_code in (401, 403) or AUTH_COOKIE not in self.http.cookies:
            raise PanoptoAuthFailed(self.host, self.tenant, self.user)
        self.logged_in = True

    def _csrf(self) -> dict[str, str]:
        token = self.http.cookies.get(CSRF_COOKIE)
        return {"X-Csrf-Token": token} if token else {}

    def _delivery_call(self, form: dict, what: str) -> Any:
        if not self.logged_in:
            self.login()
        for again in (True, False):
            r = self._send("POST", DELIVERY_INFO, what=what, form=form, headers=self._csrf())
            if r.status_code == 404:
                raise self._not_found(form["deliveryId"])
            if r.status_code == 403:
                raise self._forbidden(form["deliveryId"])
            if r.status_code == 401 or r.is_redirect:
                data = {"ErrorCode": ERROR_LOGIN_REQUIRED}
            elif r.status_code >= 400:
                raise SourceUnavailable(self.host, f"Panopto on {self.host} answered {what} with "
                                        f"{r.status_code}; try again later", status=r.status_code, retryable=False)
            else:
                data = self._json(r, what)
            if isinstance(data, dict) and data.get("ErrorCode") == ERROR_LOGIN_REQUIRED:
                if again:  # the cookie lapsed: one fresh sign-in, then give up
                    self.http.cookies.clear()
                    self.logged_in = False
                    self.login()
                    continue
                raise PanoptoAuthFailed(self.host, self.tenant, self.user)
            return data
        raise AssertionError("unreachable")

    def delivery(self, session_id: str) -> Delivery:
        """Streams, PowerPoint timestamps and caption languages of a session, as the player sees them."""
        form = {"deliveryId": session_id, "invocationId": "", "isLiveNotes": "false", "refreshAuthCookie": "true",
                "isActiveBroadcast": "false", "isEditing": "false", "isKollectiveAgentInstalled": "false",
                "isEmbed": "false", "responseType": "json"}
        data = self._delivery_call(form, f"the player's description of session {session_id}")
        if not isinstance(data, dict):
            raise SourceUnavailable(self.host, "Panopto's player description is not an object; try again later",
                                    retryable=True)
        if data.get("ErrorCode"):
            message = str(data.get("ErrorMessage") or "")
            low = message.lower()
            if "not found" in low or "does not exist" in low:
                raise self._not_found(session_id)
            if "process" in low:
                raise self._processing(session_id, None)
            raise self._forbidden(session_id)
        delivery = parse_delivery(data)
        if delivery.live:
            raise InputError(f"session {session_id} on {self.host} is a live broadcast that is still going: try "
                             "again once it has ended and Panopto has processed it.", source=self.host)
        if not delivery.streams and not delivery.podcast_streams:
            raise PanoptoNoStreams(f"session {session_id} on {self.host} has no video Handouts can fetch (no "
                                   "streams, or downloads are switched off for it): ask the owner to check the "
                                   "recording in Panopto, or try again if it is still processing.",
                                   source=self.host, session_id=session_id)
        return delivery

    def captions(self, session_id: str, language: int) -> list[Cue]:
        """Panopto's captions in one language (an empty list when that track is empty)."""
        form = {"deliveryId": session_id, "getCaptions": "true", "language": str(language), "responseType": "json"}
        data = self._delivery_call(form, f"the {language_name(language)} captions of session {session_id}")
        if isinstance(data, dict):   # an error object, or a wrapper
            if data.get("ErrorCode"):
                return []
            data = data.get("Captions") or []
        cues = []
        for item in data if isinstance(data, list) else []:
            if not isinstance(item, dict):
                continue
            text = " ".join(str(item.get("Caption") or "").split())
            start, length = _number(item.get("Time")), _number(item.get("Duration"))
            if text and start is not None:
                cues.append(Cue(max(0.0, start), max(0.0, start) + max(0.1, length or 0.0), text))
        cues.sort(key=lambda c: c.start)
        return cues

    def srt_captions(self, session_id: str) -> tuple[list[Cue], str | None]:
        """Captions from GenerateSRT (the older caption download), for sessions whose player lists none.

        Without captions (or without access) it answers an empty body or the sign-in page; only a body with
        SRT timings counts.
        """
        from ..captions.subtitles import parse_subtitle_text
        from ..errors import BadCaptions

        if not self.logged_in:
            self.login()
        for language in SRT_LANGUAGES:
            r = self._send("GET", GENERATE_SRT, what=f"the SRT captions of session {session_id}",
                           params={"id": session_id, "language": language})
            text = r.text if r.status_code == 200 else ""
            if "-->" not in text or text.lstrip()[:1] == "<":
                continue
            try:
                cues = parse_subtitle_text(text, source="Panopto's SRT captions")
            except BadCaptions:
                continue
            if cues:
                return cues, language
        return [], None

    def slide_image(self, slide: PptSlide) -> bytes:
        """The image of one PowerPoint slide (PNG or JPEG)."""
        what = f"the image of slide {slide.number}"
        if not self.logged_in:
            self.login()
        r = self._send("GET", SLIDE_IMAGE, what=what, params={"id": slide.object_id, "number": slide.number})
        ctype = r.headers.get("content-type", "").lower()
        if r.status_code >= 400 or not ctype.startswith("image/"):
            raise PanoptoLoginPage(f"Panopto on {self.host} did not send {what} (answered {r.status_code} "
                                   f"{ctype or 'without a type'}); connect your Panopto account again and retry.",
                                   source=self.host)
        return r.content


__all__ = ["Delivery", "PanoptoClient", "PanoptoForbidden", "PanoptoLoginPage", "PanoptoNoStreams",
           "PanoptoProcessing", "PanoptoSessionNotFound", "PptSlide", "SessionInfo", "Stream", "download_slot",
           "language_name", "language_order", "parse_delivery", "reset_politeness"]
