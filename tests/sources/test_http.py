"""HTTP(S) video links against the fake server: happy path, status codes, retries, resume, limits, SSRF guard."""

from __future__ import annotations

import hashlib
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from pipeline.errors import Cancelled, CorruptMedia, InputError, NotAVideo, SourceNotFound, SourceUnavailable
from pipeline.sources import fetch_source
from pipeline.sources import netguard
from pipeline.sources.http import parse_retry_after
from tests.fakes.http_server import Reply
from tests.sources.conftest import leftovers


@pytest.fixture(scope="module")
def video(clips) -> bytes:
    return clips["mp4"].read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_happy_path_hash_name_and_progress(http_server, dest, settings, video):
    http_server.add("/media/Week%203.mp4", video, "video/mp4")
    seen = []
    got = fetch_source(http_server.url("/media/Week%203.mp4?token=secret"), dest, settings,
                       progress=lambda f, m="": seen.append((f, m)))
    assert got.kind == "http" and got.original_name == "Week 3.mp4"
    assert got.sha256 == sha(video) and got.size == len(video) and got.path.read_bytes() == video
    assert got.media.duration == pytest.approx(3.0, abs=0.1)
    assert seen[-1][0] == 1.0 and any("downloaded" in m for _, m in seen)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert leftovers(dest) == ["source.mp4"]
    assert "range" not in http_server.requests[0].headers


def test_content_disposition_names_the_file(http_server, dest, settings, video):
    http_server.add("/dl", video, "video/mp4", headers={"Content-Disposition": 'attachment; filename="Intro.mp4"'})
    assert fetch_source(http_server.url("/dl"), dest, settings).original_name == "Intro.mp4"


def test_redirects_are_followed(http_server, dest, settings, video):
    http_server.add("/real.mp4", video, "video/mp4")
    http_server.add_redirect("/short", "/real.mp4")
    assert fetch_source(http_server.url("/short"), dest, settings).sha256 == sha(video)


def test_injected_client_is_used_and_left_open(http_server, dest, settings, video):
    http_server.add("/v.mp4", video, "video/mp4")
    with httpx.Client(follow_redirects=True) as client:
        fetch_source(http_server.url("/v.mp4"), dest, settings, client=client)
        assert not client.is_closed


@pytest.mark.parametrize("status", [404, 410])
def test_gone_is_source_not_found(http_server, dest, settings, status):
    http_server.add_status("/v.mp4", status)
    with pytest.raises(SourceNotFound, match=f"{status}.*check the link") as e:
        fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert http_server.url("/v.mp4") in e.value.message
    assert http_server.hits("/v.mp4") == 1 and leftovers(dest) == []


@pytest.mark.parametrize("status", [401, 403])
def test_forbidden_needs_sign_in_and_is_not_retried(http_server, dest, settings, status):
    http_server.add_status("/v.mp4", status)
    with pytest.raises(SourceUnavailable, match="sign-in or has expired") as e:
        fetch_source(http_server.url("/v.mp4?X-Amz-Signature=abc"), dest, settings)
    assert e.value.retryable is False and e.value.status == status
    assert "abc" not in e.value.message   # signed query strings stay out of messages
    assert http_server.hits("/v.mp4") == 1


def test_500_then_success_is_retried(http_server, dest, settings, video):
    http_server.add_flaky("/v.mp4", video, fail_times=2)
    got = fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert got.sha256 == sha(video) and http_server.hits("/v.mp4") == 3


def test_429_retry_after_is_honoured(http_server, dest, settings, video):
    http_server.add_flaky("/v.mp4", video, fail_times=1, status=429, fail_headers={"Retry-After": "0"})
    assert fetch_source(http_server.url("/v.mp4"), dest, settings).sha256 == sha(video)


def test_retry_after_too_long_gives_up_at_once(http_server, dest, settings, video):
    http_server.add_flaky("/v.mp4", video, fail_times=1, status=503, fail_headers={"Retry-After": "3600"})
    with pytest.raises(SourceUnavailable, match="asks to wait 3600 s") as e:
        fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert e.value.retryable and http_server.hits("/v.mp4") == 1


def test_500_always_gives_up_after_the_retry_budget(http_server, dest, settings):
    http_server.add_status("/v.mp4", 500)
    with pytest.raises(SourceUnavailable, match="failed 4 times.*500.*try again later") as e:
        fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert e.value.retryable and e.value.status == 500
    assert http_server.hits("/v.mp4") == settings.http_retries + 1
    assert leftovers(dest) == []


def test_html_answer_is_not_a_video(http_server, dest, settings):
    http_server.add_html("/watch")
    with pytest.raises(NotAVideo, match="web page.*direct video URL"):
        fetch_source(http_server.url("/watch"), dest, settings)
    assert leftovers(dest) == []


def test_text_sent_as_octet_stream_is_not_a_video(http_server, dest, settings):
    http_server.add("/v.mp4", b"Access denied for this resource\n" * 50)
    with pytest.raises(NotAVideo, match="text"):
        fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert leftovers(dest) == []


def test_truncated_video_is_corrupt_and_removed(http_server, dest, settings, video):
    http_server.add("/v.mp4", video[: len(video) // 2], "video/mp4")
    with pytest.raises(CorruptMedia, match="download it again"):
        fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert leftovers(dest) == []


def test_connection_cut_mid_body_resumes_with_range(http_server, dest, settings, video):
    cut = len(video) // 3
    http_server.add_cut("/v.mp4", video, cut_after=cut)
    got = fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert got.sha256 == sha(video) and got.size == len(video)
    second = http_server.requests_to("/v.mp4")[1]
    assert second.headers["range"] == f"bytes={cut}-"


def test_repeated_cuts_that_make_progress_do_not_exhaust_retries(http_server, dest, settings, video):
    # Each answer breaks off after a few KB; progress each time means the retry budget is never spent.
    step = len(video) // 8 + 1
    http_server.route("/v.mp4", lambda req, n: Reply(200, video, "video/mp4", cut_after=step))
    got = fetch_source(http_server.url("/v.mp4"), dest, settings.model_copy(update={"http_retries": 1}))
    assert got.sha256 == sha(video) and http_server.hits("/v.mp4") >= 8


def test_cut_without_range_support_starts_again(http_server, dest, settings, video):
    http_server.add_cut("/v.mp4", video, cut_after=len(video) // 2, ranges=False)
    got = fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert got.sha256 == sha(video)
    assert all("range" not in r.headers for r in http_server.requests_to("/v.mp4"))


def test_too_large_by_content_length(http_server, dest, settings, video):
    http_server.add("/v.mp4", video, "video/mp4")
    small = settings.model_copy(update={"max_download_bytes": 1000})
    with pytest.raises(InputError, match="HANDOUTS_MAX_DOWNLOAD_BYTES") as e:
        fetch_source(http_server.url("/v.mp4"), dest, small)
    assert "1,000" in e.value.message and leftovers(dest) == []


def test_too_large_while_streaming(http_server, dest, settings, video):
    http_server.add_unsized("/v.mp4", video)
    small = settings.model_copy(update={"max_download_bytes": len(video) // 2})
    with pytest.raises(InputError, match="larger than the download limit"):
        fetch_source(http_server.url("/v.mp4"), dest, small)
    assert leftovers(dest) == []


def test_unsized_body_downloads(http_server, dest, settings, video):
    http_server.add_unsized("/v.mp4", video)
    assert fetch_source(http_server.url("/v.mp4"), dest, settings).sha256 == sha(video)


def test_read_timeout_is_retried_then_reported(http_server, dest, settings, video):
    http_server.add_slow("/v.mp4", video, delay=0.6)
    quick = settings.model_copy(update={"http_timeout": 0.2, "http_retries": 1})
    with pytest.raises(SourceUnavailable, match="failed 2 times.*Timeout"):
        fetch_source(http_server.url("/v.mp4"), dest, quick)
    assert http_server.hits("/v.mp4") == 2 and leftovers(dest) == []


def test_cancel_mid_download_leaves_nothing(http_server, dest, settings, video):
    http_server.add_unsized("/v.mp4", video * 4)
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) > 1:
            raise Cancelled()

    with pytest.raises(Cancelled):
        fetch_source(http_server.url("/v.mp4"), dest, settings, cancel_check=cancel)
    assert leftovers(dest) == []


def test_private_address_is_refused(http_server, dest, settings, video):
    http_server.add("/v.mp4", video, "video/mp4")
    strict = settings.model_copy(update={"allow_private_urls": False})
    with pytest.raises(InputError, match="private or local network.*HANDOUTS_ALLOW_PRIVATE_URLS"):
        fetch_source(http_server.url("/v.mp4"), dest, strict)
    assert http_server.hits("/v.mp4") == 0 and leftovers(dest) == []


def test_every_redirect_hop_is_checked(http_server, dest, settings, video, monkeypatch):
    # Pretend 127.0.0.1 is a public address so the first hop passes (and is connected to, pinned); "localhost"
    # resolves to another loopback address, which stays private.
    def resolve(host, port):
        return ["127.0.0.1"] if host == "127.0.0.1" else ["127.0.0.2"]
    monkeypatch.setattr(netguard, "system_resolver", resolve)
    monkeypatch.setattr(netguard, "is_public_address", lambda a: a == "127.0.0.1")
    http_server.add("/v.mp4", video, "video/mp4")
    http_server.add_redirect("/go", f"http://localhost:{http_server.port}/v.mp4")
    strict = settings.model_copy(update={"allow_private_urls": False})
    with pytest.raises(InputError, match="localhost.*private or local network"):
        fetch_source(http_server.url("/go"), dest, strict)
    assert http_server.hits("/go") == 1 and http_server.hits("/v.mp4") == 0


def test_unknown_host_is_not_found(dest, settings):
    strict = settings.model_copy(update={"allow_private_urls": False})
    with pytest.raises(SourceNotFound, match="does not exist"):
        fetch_source("http://no-such-host.invalid/v.mp4", dest, strict)


def test_connection_refused_is_retried_then_reported(dest, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceUnavailable, match="failed 2 times.*ConnectError.*try again later"):
        fetch_source(f"http://127.0.0.1:{port}/v.mp4", dest, settings.model_copy(update={"http_retries": 1}))
    assert leftovers(dest) == []


def test_redirect_to_another_scheme_is_refused(http_server, dest, settings):
    http_server.add_redirect("/go", "ftp://files.example/v.mp4")
    with pytest.raises(InputError, match="not an http"):
        fetch_source(http_server.url("/go"), dest, settings)


def test_retry_after_accepts_seconds_and_dates():
    assert parse_retry_after("7") == 7.0
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(later) <= 30
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after(" 1.5 ") == 1.5 and parse_retry_after("-3") == 0.0
    assert parse_retry_after("nan") is None and parse_retry_after("inf") is None
    earlier = format_datetime(datetime.now(timezone.utc) - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(earlier) == 0.0


def test_a_gzip_bomb_is_stopped_at_the_limit_as_it_inflates(http_server, dest, settings, monkeypatch):
    import gzip

    from pipeline.sources import http as source_http

    bomb = gzip.compress(b"\x00\x00\x00\x18ftypmp42" + bytes(200 * 2**20), compresslevel=9)  # 200 MiB inflated
    assert len(bomb) < 300_000
    http_server.add("/v.mp4", bomb, "video/mp4", headers={"Content-Encoding": "gzip"}, ranges=False)
    pieces = []
    real = source_http._body_bytes

    def watched(response, source):
        for piece in real(response, source):
            pieces.append(len(piece))
            yield piece

    monkeypatch.setattr(source_http, "_body_bytes", watched)
    small = settings.model_copy(update={"max_download_bytes": 8 * 2**20})
    with pytest.raises(InputError, match="larger than the download limit"):
        fetch_source(http_server.url("/v.mp4"), dest, small)
    assert max(pieces) <= source_http.DECODED_PIECE and sum(pieces) <= 10 * 2**20  # never inflated far past it
    assert leftovers(dest) == []


def test_a_gzip_encoded_video_is_inflated_whole(http_server, dest, settings, video):
    import gzip

    http_server.add("/v.mp4", gzip.compress(video), "video/mp4", headers={"Content-Encoding": "gzip"})
    got = fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert got.sha256 == sha(video) and got.size == len(video)


def test_an_encoding_we_do_not_decode_is_refused_by_name(http_server, dest, settings, video):
    http_server.add("/v.mp4", video, "video/mp4", headers={"Content-Encoding": "br"})
    with pytest.raises(InputError, match="Content-Encoding 'br'.*uncompressed"):
        fetch_source(http_server.url("/v.mp4"), dest, settings)
    assert leftovers(dest) == []
