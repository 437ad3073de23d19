"""HLS links against the fake server: master to best variant, segments in order, remux to MP4, and refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import pytest

from pipeline.errors import CorruptMedia, InputError, SourceUnavailable
from pipeline.sources import fetch_source
from tests.sources.conftest import leftovers
from tests.sources.hls_maker import make_hls


@pytest.fixture(scope="module")
def streams(tmp_path_factory) -> dict[str, Path]:
    """Two renditions of a 6 s lecture in 2 s TS segments, and one in fMP4."""
    d = tmp_path_factory.mktemp("hls")
    return {"hi": make_hls(d / "hi", size=(160, 90)), "lo": make_hls(d / "lo", size=(96, 54)),
            "fmp4": make_hls(d / "fmp4", size=(160, 90), fmp4=True)}


def serve(http_server, playlist: Path, prefix: str, content_type="application/vnd.apple.mpegurl") -> str:
    """Serve a playlist and every file beside it under `prefix`; returns the playlist's URL."""
    for f in playlist.parent.iterdir():
        if f != playlist:
            http_server.add(f"{prefix}/{f.name}", f.read_bytes(), "video/mp2t")
    http_server.add_playlist(f"{prefix}/{playlist.name}", playlist.read_text(), content_type)
    return http_server.url(f"{prefix}/{playlist.name}")


def test_media_playlist_becomes_one_mp4(http_server, dest, settings, streams):
    url = serve(http_server, streams["hi"], "/hi")
    seen = []
    got = fetch_source(url, dest, settings, progress=lambda f, m="": seen.append((f, m)))
    assert got.kind == "hls" and got.path == dest / "source.mp4" and got.original_name == "index.mp4"
    assert got.media.duration == pytest.approx(6.0, abs=0.2)
    assert got.media.has_audio and "mp4" in got.media.format_name and got.media.width == 160
    assert got.sha256 == hashlib.sha256(got.path.read_bytes()).hexdigest() and got.size == got.path.stat().st_size
    assert leftovers(dest) == ["source.mp4"]
    assert [m for _, m in seen if "segment" in m][:3] == [f"fetched segment {i} of 3" for i in (1, 2, 3)]
    assert seen[-1][0] == 1.0
    # Every frame arrives: 6 s at 10 fps, copied rather than re-encoded.
    with av.open(str(got.path)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 60


def test_master_playlist_picks_the_best_variant(http_server, dest, settings, streams):
    serve(http_server, streams["hi"], "/v/hi")
    serve(http_server, streams["lo"], "/v/lo")
    http_server.add_playlist("/v/master.m3u8", "\n".join([
        "#EXTM3U",
        '#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=96x54,CODECS="avc1.42e00a,mp4a.40.2"',
        "lo/index.m3u8",
        '#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=160x90,CODECS="avc1.42e00a,mp4a.40.2"',
        http_server.url("/v/hi/index.m3u8"),
        '#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="mp4a.40.2"',
        "audio/index.m3u8",
    ]) + "\n")
    got = fetch_source(http_server.url("/v/master.m3u8"), dest, settings)
    assert (got.media.width, got.media.height) == (160, 90)
    assert got.media.duration == pytest.approx(6.0, abs=0.2)
    assert http_server.hits("/v/lo/index.m3u8") == 0 and http_server.hits("/v/audio/index.m3u8") == 0


def test_playlist_found_by_content_when_served_as_text(http_server, dest, settings, streams):
    url = serve(http_server, streams["hi"], "/t", content_type="text/plain")
    assert fetch_source(url, dest, settings).kind == "hls"


def test_fmp4_segments_with_init_section(http_server, dest, settings, streams):
    url = serve(http_server, streams["fmp4"], "/f")
    got = fetch_source(url, dest, settings)
    assert got.media.duration == pytest.approx(6.0, abs=0.2) and got.media.has_audio
    assert http_server.hits("/f/index_init.mp4") == 1


def test_byte_ranges_of_one_file(http_server, dest, settings, streams):
    parts = [(streams["hi"].parent / f"index{i}.ts").read_bytes() for i in range(3)]
    http_server.add("/b/all.ts", b"".join(parts), "video/mp2t")
    lines = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"]
    offset = 0
    for i, p in enumerate(parts):
        # The second range leaves out its offset: it continues where the first ended.
        lines += ["#EXTINF:2.0,", f"#EXT-X-BYTERANGE:{len(p)}" + ("" if i == 1 else f"@{offset}"), "all.ts"]
        offset += len(p)
    http_server.add_playlist("/b/index.m3u8", "\n".join(lines + ["#EXT-X-ENDLIST", ""]))
    got = fetch_source(http_server.url("/b/index.m3u8"), dest, settings)
    assert got.media.duration == pytest.approx(6.0, abs=0.2)
    assert [r.headers["range"] for r in http_server.requests_to("/b/all.ts")] == [
        f"bytes=0-{len(parts[0]) - 1}", f"bytes={len(parts[0])}-{len(parts[0]) + len(parts[1]) - 1}",
        f"bytes={len(parts[0]) + len(parts[1])}-{sum(map(len, parts)) - 1}"]


def test_flaky_segment_is_retried(http_server, dest, settings, streams):
    url = serve(http_server, streams["hi"], "/r")
    http_server.add_flaky("/r/index1.ts", (streams["hi"].parent / "index1.ts").read_bytes(), fail_times=2)
    got = fetch_source(url, dest, settings)
    assert got.media.duration == pytest.approx(6.0, abs=0.2) and http_server.hits("/r/index1.ts") == 3


def test_missing_segment_is_corrupt_media(http_server, dest, settings, streams):
    url = serve(http_server, streams["hi"], "/m")
    http_server.add_status("/m/index1.ts", 404)
    with pytest.raises(CorruptMedia, match="segment that is missing: segment 2 of 3.*index1.ts"):
        fetch_source(url, dest, settings)
    assert leftovers(dest) == []


def test_segment_that_keeps_failing_names_itself(http_server, dest, settings, streams):
    url = serve(http_server, streams["hi"], "/s")
    http_server.add_status("/s/index2.ts", 503)
    with pytest.raises(SourceUnavailable, match="segment 3 of 3.*index2.ts.*failed 4 times") as e:
        fetch_source(url, dest, settings)
    assert e.value.retryable and leftovers(dest) == []


def test_encrypted_stream_is_refused(http_server, dest, settings):
    http_server.add_playlist("/e/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
                             '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x1\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n')
    with pytest.raises(InputError, match="encrypted HLS streams are not supported yet"):
        fetch_source(http_server.url("/e/index.m3u8"), dest, settings)
    assert http_server.hits("/e/seg0.ts") == 0 and leftovers(dest) == []


def test_live_stream_is_refused(http_server, dest, settings):
    http_server.add_playlist("/l/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n")
    with pytest.raises(InputError, match="live stream that is still going"):
        fetch_source(http_server.url("/l/index.m3u8"), dest, settings)


def test_garbage_behind_an_m3u8_name(http_server, dest, settings):
    http_server.add("/g/index.m3u8", b"this is not a playlist\n", "application/vnd.apple.mpegurl")
    with pytest.raises(CorruptMedia, match="playlist.*cannot be read.*EXTM3U"):
        fetch_source(http_server.url("/g/index.m3u8"), dest, settings)
    assert leftovers(dest) == []


def test_segments_count_against_the_download_limit(http_server, dest, settings, streams):
    url = serve(http_server, streams["hi"], "/big")
    small = settings.model_copy(update={"max_download_bytes": 30_000})
    with pytest.raises(InputError, match="HANDOUTS_MAX_DOWNLOAD_BYTES"):
        fetch_source(url, dest, small)
    assert leftovers(dest) == []
