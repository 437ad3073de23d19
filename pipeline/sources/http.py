"""HTTP downloads to disk: streamed, size-limited, retried on transient faults, resumed with Range requests.

Redirects are followed by hand so the SSRF guard sees every hop. Transient faults (5xx, 408, 429, resets,
timeouts) are retried with exponential backoff and jitter, honouring Retry-After; an attempt that received
bytes does not count against the retry budget, so a slow link that keeps dropping still finishes.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import unquote, urljoin, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from ..errors import InputError, SourceNotFound, SourceUnavailable
from ..media import Looks, not_a_video, sniff
from ..settings import Settings
from ..types import CancelCheck
from .files import PartFile
from .netguard import UrlGuard, display_url, request_deadline


@dataclass
class RetryPolicy:
    """Backoff between attempts; module-level so tests can shorten it."""

    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 1.0
    retry_after_cap: float = 120.0   # a server asking for a longer pause is treated as down
    max_redirects: int = 10
    max_attempts_with_progress: int = 50


POLICY = RetryPolicy()
HLS_CONTENT_TYPES = ("application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl", "audio/x-mpegurl")
PLAYLIST_MAX_BYTES = 16 * 1024 * 1024
USER_AGENT = "Handouts/0.1 (lecture handout maker)"


class _Transient(Exception):
    """A fault worth another attempt; `retry_after` is the server's requested pause, if any."""

    def __init__(self, detail: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


@dataclass
class Download:
    """What a download produced: the final URL after redirects, the server's name for the file, or a playlist."""

    url: str
    filename: str
    content_type: str
    playlist: str | None = None


def parse_retry_after(value: str | None) -> float | None:
    """The seconds a Retry-After header asks for, as delay-seconds or an HTTP date (in the past: 0); None when
    the header is absent or unreadable. Every client of ours that honours Retry-After reads it here."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


DECODED_PIECE = 1 << 20   # a compressed body is inflated at most this much at a time, each piece counted


def _encoding(response: httpx.Response) -> str:
    return response.headers.get("content-encoding", "").strip().lower()


def _compressed(response: httpx.Response) -> bool:
    return _encoding(response) not in ("", "identity")


def _body_bytes(response: httpx.Response, source: str) -> Iterator[bytes]:
    """The body as it arrives, decoded in bounded pieces.

    We ask for `identity`; a server may compress anyway. httpx would inflate a whole network chunk at once (a
    64 KiB gzip chunk can become hundreds of MiB before any limit sees it), so gzip and deflate are inflated here
    a piece at a time and the download limit counts each piece; other encodings are refused.
    """
    if not _compressed(response):
        yield from response.iter_raw()
        return
    encoding = _encoding(response)
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    else:
        raise InputError(f"{display_url(str(response.url))} (from {source}) was sent with Content-Encoding "
                         f"'{encoding}', which Handouts does not decode; serve the file uncompressed", source=source)
    try:
        for raw in response.iter_raw():
            data = raw
            while data:
                piece = inflater.decompress(data, DECODED_PIECE)
                data = inflater.unconsumed_tail
                if piece:
                    yield piece
        if tail := inflater.flush():
            yield tail
    except zlib.error as e:
        raise InputError(f"{display_url(str(response.url))} (from {source}) sent a corrupt {encoding} body ({e})",
                         source=source) from None


def _why(e: Exception) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _filename(response: httpx.Response) -> str:
    disposition = response.headers.get("content-disposition", "")
    for part in disposition.split(";"):
        key, _, val = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in val:
            return unquote(val.split("''", 1)[1]).strip('"') or "video"
        if key.lower() == "filename" and val:
            return val.strip('"') or "video"
    return unquote(urlsplit(str(response.url)).path.rsplit("/", 1)[-1]) or "video"


def _content_range_start(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) from 'bytes 100-199/1000'; None where absent or '*'."""
    if not value or not value.startswith("bytes "):
        return None, None
    span, _, total = value[6:].partition("/")
    first = span.split("-", 1)[0]
    return (int(first) if first.isdigit() else None), (int(total) if total.isdigit() else None)


class HttpSession:
    """One fetch's HTTP edge: a client, the guard, the limits and the retry budget, shared by all its requests."""

    def __init__(self, settings: Settings, client: httpx.Client, source: str, cancel_check: CancelCheck,
                 guard: UrlGuard | None = None) -> None:
        self.settings = settings
        self.client = client
        self.source = source
        self.cancel_check = cancel_check
        self.guard = guard or UrlGuard(settings.allow_private_urls)
        self.timeout = httpx.Timeout(settings.http_timeout)
        self.total_bytes = 0   # across every request of this fetch, against max_download_bytes

    # --- requests -------------------------------------------------------------------------------------------

    @contextmanager
    def _open(self, url: str, headers: dict[str, str], what: str) -> Iterator[httpx.Response]:
        """A streamed GET that follows redirects through the guard and maps final statuses to errors."""
        with request_deadline(self.settings.http_request_deadline):
            yield from self._open_within_deadline(url, headers, what)

    def _open_within_deadline(self, url: str, headers: dict[str, str], what: str) -> Iterator[httpx.Response]:
        for _ in range(POLICY.max_redirects + 1):
            self.guard.check(url, self.source)
            request = self.client.build_request("GET", url, headers={"Accept-Encoding": "identity",
                                                                     "User-Agent": USER_AGENT, **headers},
                                                timeout=self.timeout)
            try:
                response = self.client.send(request, stream=True, follow_redirects=False)
            except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as e:
                raise InputError(f"{what} cannot be fetched: {e}; give an http(s) link", source=self.source) from None
            except httpx.TransportError as e:
                raise _Transient(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__) from None
            if response.is_redirect and "location" in response.headers:
                response.close()
                url = urljoin(str(response.url), response.headers["location"])
                continue
            try:
                self._check_status(response, what)
                yield response
            finally:
                response.close()
            return
        raise SourceUnavailable(display_url(url), f"{what} redirects more than {POLICY.max_redirects} times; "
                                "check the link in a browser", retryable=False)

    def _check_status(self, response: httpx.Response, what: str) -> None:
        code = response.status_code
        if code < 300 or code == 416:
            return
        url = display_url(str(response.url))
        if code in (404, 410):
            raise SourceNotFound(self.source, f"{what} answered {code} (not found): the file is not there, maybe "
                                 "moved or deleted; check the link")
        if code in (401, 403):
            raise SourceUnavailable(url, f"{what} answered {code}: the link needs sign-in or has expired; share a "
                                    "public or freshly made link, or download the video and upload the file",
                                    status=code, retryable=False)
        if code in (408, 425, 429) or code >= 500:
            pause = parse_retry_after(response.headers.get("retry-after"))
            if pause is not None and pause > POLICY.retry_after_cap:
                raise SourceUnavailable(url, f"{what} is busy ({code}) and asks to wait {pause:.0f} s; try again "
                                        "later", status=code, retryable=True)
            raise _Transient(f"answered {code} {response.reason_phrase}", status=code, retry_after=pause)
        raise SourceUnavailable(url, f"{what} answered {code} {response.reason_phrase}; check the link",
                                status=code, retryable=False)

    # --- retries --------------------------------------------------------------------------------------------

    def _retrying(self, made_progress: Callable[[], bool]) -> Retrying:
        budget = {"failures": 0, "attempts": 0}

        def stop(state: RetryCallState) -> bool:
            budget["attempts"] += 1
            if not made_progress():
                budget["failures"] += 1
            return (budget["failures"] > self.settings.http_retries
                    or budget["attempts"] >= POLICY.max_attempts_with_progress)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return exc.retry_after
            # Exponential backoff with full jitter on top, so many workers do not retry in step.
            step = POLICY.initial * 2 ** (state.attempt_number - 1)
            return min(POLICY.maximum, step) + random.uniform(0, POLICY.jitter)

        def sleep(seconds: float) -> None:
            # Sleep in slices so that a cancelled job stops waiting promptly.
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                self.cancel_check()
                time.sleep(min(left, 0.2))

        return Retrying(stop=stop, wait=wait, sleep=sleep, retry=retry_if_exception_type(_Transient), reraise=True)

    def _give_up(self, url: str, what: str, exc: _Transient) -> SourceUnavailable:
        tries = self.settings.http_retries + 1
        return SourceUnavailable(display_url(url), f"{what} failed {tries} times (last: {exc.detail}); the server "
                                 "may be down or overloaded; try again later", status=exc.status, retryable=True)

    # --- bodies ---------------------------------------------------------------------------------------------

    def _count(self, n: int, expected_total: int | None = None) -> None:
        limit = self.settings.max_download_bytes
        if self.total_bytes + n > limit or (expected_total is not None and expected_total > limit):
            size = expected_total if expected_total is not None and expected_total > limit else self.total_bytes + n
            raise InputError(f"{self.source} is larger than the download limit ({size:,} bytes > {limit:,} bytes); "
                             "an operator can raise HANDOUTS_MAX_DOWNLOAD_BYTES", source=self.source, limit=limit)
        self.total_bytes += n

    def get_text(self, url: str, what: str) -> str:
        """A small text body (a playlist), retried like everything else."""
        try:
            for attempt in self._retrying(lambda: False):
                with attempt, self._open(url, {}, what) as response:
                    return self._read_small(_body_bytes(response, self.source), what).decode("utf-8", "replace")
        except _Transient as e:
            raise self._give_up(url, what, e) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def get_bytes(self, url: str, what: str, *, limit: int = PLAYLIST_MAX_BYTES,
                  headers: dict[str, str] | None = None) -> bytes:
        """A small binary body (an HLS key, a slide image) of at most `limit` bytes, retried like the rest."""
        try:
            for attempt in self._retrying(lambda: False):
                with attempt, self._open(url, dict(headers or {}), what) as response:
                    body = bytearray()
                    try:
                        for chunk in _body_bytes(response, self.source):
                            body += chunk
                            if len(body) > limit:
                                raise InputError(f"{what} is larger than {limit:,} bytes, more than it can be; "
                                                 "check the link", source=self.source)
                    except httpx.TransportError as e:
                        raise _Transient(f"cut off while reading ({_why(e)})") from None
                    return bytes(body)
        except _Transient as e:
            raise self._give_up(url, what, e) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _read_small(self, chunks: Iterator[bytes], what: str, body: bytes = b"") -> bytes:
        body = bytearray(body)
        try:
            for chunk in chunks:
                body += chunk
                if len(body) > PLAYLIST_MAX_BYTES:
                    raise InputError(f"{what} is over {PLAYLIST_MAX_BYTES // 2**20} MB, too big for a playlist",
                                     source=self.source)
        except httpx.TransportError as e:
            raise _Transient(f"cut off while reading ({_why(e)})") from None
        return bytes(body)

    def download(self, url: str, part: PartFile, what: str, *, resume: bool = True, sniff_head: bool = False,
                 byterange: tuple[int, int] | None = None,
                 on_bytes: Callable[[int, int | None], None] | None = None) -> Download:
        """Stream `url` onto the end of `part`; with `sniff_head`, refuse web pages and return playlists in memory.

        `byterange` is (length, offset) of a sub-range; `on_bytes(done, total)` reports progress; `resume`
        continues a broken body with a Range request instead of starting it again.
        """
        body = _Body(self, url, part, what, resume=resume, sniff_head=sniff_head, byterange=byterange,
                     on_bytes=on_bytes)
        try:
            for attempt in self._retrying(body.progressed):
                with attempt:
                    return body.attempt()
        except _Transient as e:
            raise self._give_up(url, what, e) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _is_playlist(self, head: bytes, info: Download) -> bool:
        """Decide from the first bytes: a playlist (True), a video (False), or something to refuse (raises)."""
        looks = sniff(head)
        hls_hint = info.content_type in HLS_CONTENT_TYPES or urlsplit(info.url).path.lower().endswith(".m3u8")
        if looks.kind == "playlist" and head.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"#EXTM3U"):
            return True
        if hls_hint and looks.kind in ("playlist", "text", "unknown"):
            return True
        if looks.kind == "text" and info.content_type == "text/html":
            looks = Looks("web", "a web page (HTML)", sniff(b"<html>").advice)
        if looks.kind not in ("video", "unknown"):
            raise not_a_video(self.source, looks)
        return False


class _Body:
    """One body being written to a part file across attempts: where it starts, how to resume it, how big it is."""

    def __init__(self, session: HttpSession, url: str, part: PartFile, what: str, *, resume: bool,
                 sniff_head: bool, byterange: tuple[int, int] | None,
                 on_bytes: Callable[[int, int | None], None] | None) -> None:
        self.s = session
        self.url, self.part, self.what = url, part, what
        self.start = part.size          # segments append, so the body begins wherever the file ends now
        self.resume, self.sniff_head, self.byterange, self.on_bytes = resume, sniff_head, byterange, on_bytes
        self.ranges_ok = False          # the server said Accept-Ranges: bytes
        self.validator: str | None = None   # ETag or Last-Modified, so a resumed body is the same file
        self._progress = False

    @property
    def received(self) -> int:
        return self.part.size - self.start

    def progressed(self) -> bool:
        """Whether the last attempt wrote any bytes (then it does not count against the retry budget)."""
        made, self._progress = self._progress, False
        return made

    def _restart(self) -> None:
        self.s.total_bytes -= self.received
        self.part.rollback(self.start)

    def _headers(self) -> dict[str, str]:
        if self.received and not (self.resume and self.ranges_ok):
            self._restart()
        first = (self.byterange[1] if self.byterange else 0) + self.received
        if self.byterange:
            return {"Range": f"bytes={first}-{self.byterange[1] + self.byterange[0] - 1}"}
        if self.received:
            return {"Range": f"bytes={first}-", **({"If-Range": self.validator} if self.validator else {})}
        return {}

    def attempt(self) -> Download:
        """One request: continue (or start) the body and stream it to the part file."""
        headers = self._headers()
        first = (self.byterange[1] if self.byterange else 0) + self.received
        with self.s._open(self.url, headers, self.what) as response:
            skip, expected = self._plan(response, first)
            if expected is not None and not self.byterange:
                self.s._count(0, expected)
            return self._stream(response, skip, expected)

    def _plan(self, response: httpx.Response, first: int) -> tuple[int, int | None]:
        """(bytes to skip at the start of this answer, expected length of the whole body) from its headers."""
        # a compressed body's length and byte ranges count compressed bytes: neither says where the file ends
        length = -1 if _compressed(response) else int(response.headers.get("content-length", -1))
        if response.status_code == 416:
            # The server no longer accepts our range: the next attempt starts the body again without one.
            self.ranges_ok = False
            raise _Transient("the server refused to resume (416)", status=416)
        if response.status_code == 206:
            got, total = _content_range_start(response.headers.get("content-range"))
            if got != first:
                self.ranges_ok = False
                raise _Transient(f"the server resumed at byte {got}, not {first}", status=206)
            if self.byterange:
                return 0, self.byterange[0]
            return 0, total if total is not None else (self.received + length if length >= 0 else None)
        if self.received:
            # A full answer to a Range request: the file changed or ranges are unsupported after all.
            self._restart()
        if self.byterange:
            return self.byterange[1], self.byterange[0]
        self.ranges_ok = (response.headers.get("accept-ranges", "").lower() == "bytes"
                          and not _compressed(response))
        etag = response.headers.get("etag", "")
        self.validator = etag if etag and not etag.startswith("W/") else response.headers.get("last-modified")
        return 0, length if length >= 0 else None

    def _stream(self, response: httpx.Response, skip: int, expected: int | None) -> Download:
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        info = Download(str(response.url), _filename(response), ctype)
        sniffing = self.sniff_head and self.received == 0
        head = b""
        try:
            # No chunk_size: re-chunking would hold back bytes that then die with a broken connection.
            chunks = _body_bytes(response, self.s.source)
            for chunk in chunks:
                self.s.cancel_check()
                if skip:
                    # A server that ignored our byte range: throw away what comes before it.
                    drop = min(skip, len(chunk))
                    chunk, skip = chunk[drop:], skip - drop
                if expected is not None:
                    chunk = chunk[:max(0, expected - self.received - len(head))]
                if sniffing:
                    head += chunk
                    if len(head) < 1024:
                        continue
                    sniffing = False
                    if self.s._is_playlist(head, info):
                        info.playlist = self.s._read_small(chunks, self.what, head).decode("utf-8", "replace")
                        return info
                    chunk, head = head, b""
                self._write(chunk, expected)
                if expected is not None and self.received >= expected:
                    break
        except httpx.TransportError as e:
            raise _Transient(f"the connection broke after {self.received:,} bytes ({_why(e)})") from None
        if sniffing:
            if self.s._is_playlist(head, info):
                info.playlist = head.decode("utf-8", "replace")
                return info
            self._write(head, expected)
        if expected is not None and self.received < expected:
            raise _Transient(f"the body ended after {self.received:,} of {expected:,} bytes")
        return info

    def _write(self, chunk: bytes, expected: int | None) -> None:
        if not chunk:
            return
        self.s._count(len(chunk))
        self.part.write(chunk)
        self._progress = True
        if self.on_bytes:
            self.on_bytes(self.received, expected)
