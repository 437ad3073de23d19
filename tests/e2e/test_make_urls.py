"""`handouts make` on URLs: an MP4 over HTTP, an HLS playlist, and links that do not lead to a video."""

from __future__ import annotations

import json

import pytest

from handouts.cli import main
from pipeline.sources import http as source_http
from tests.fakes.http_server import http_server  # noqa: F401 - fixture
from tests.fakes.media import make_clip
from tests.sources.hls_maker import make_hls


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HANDOUTS_ALLOW_PRIVATE_URLS", "true")  # the fake server is on loopback
    monkeypatch.setenv("HANDOUTS_OFFLINE_ASR", "false")
    monkeypatch.setenv("HANDOUTS_STAGE_RETRY_DELAY", "0")
    monkeypatch.setattr(source_http, "POLICY", source_http.RetryPolicy(initial=0.01, maximum=0.05, jitter=0.01))


def test_mp4_over_http_with_a_flaky_server(http_server, tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=4, size=(320, 180), colours=[(250, 250, 250), (20, 40, 160)])
    http_server.add_flaky("/lecture.mp4", clip.read_bytes(), fail_times=1)
    out = tmp_path / "out"
    assert main(["make", http_server.url("/lecture.mp4"), "-o", str(out)]) == 0
    manifest = json.loads((out / "slides.json").read_text())
    assert abs(manifest["duration"] - 4.0) < 0.5 and manifest["slides"]
    assert http_server.hits("/lecture.mp4") >= 2, "the first answer was a 500 and was retried"


def test_hls_playlist(http_server, tmp_path):
    playlist = make_hls(tmp_path / "hls", seconds=6)
    for f in playlist.parent.iterdir():
        kind = "application/vnd.apple.mpegurl" if f.suffix == ".m3u8" else "video/mp2t"
        http_server.add(f"/hls/{f.name}", f.read_bytes(), kind)
    out = tmp_path / "out"
    assert main(["make", http_server.url("/hls/index.m3u8"), "-o", str(out)]) == 0
    manifest = json.loads((out / "slides.json").read_text())
    assert abs(manifest["duration"] - 6.0) < 0.5


@pytest.mark.parametrize("setup,needle", [
    (lambda s: s.add_status("/gone.mp4", 404), "404"),
    (lambda s: s.add_html("/gone.mp4"), "web page"),
    (lambda s: s.add_status("/gone.mp4", 403), "sign"),
])
def test_links_that_do_not_lead_to_a_video(http_server, tmp_path, capsys, setup, needle):
    setup(http_server)
    assert main(["make", http_server.url("/gone.mp4"), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("handouts: failed at fetch:") and needle in err.lower(), err


def test_private_addresses_are_refused_by_default(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HANDOUTS_ALLOW_PRIVATE_URLS", "false")
    assert main(["make", "http://127.0.0.1:9/lecture.mp4", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "HANDOUTS_ALLOW_PRIVATE_URLS" in err or "private" in err.lower(), err


def test_credentials_in_a_link_end_up_nowhere_but_the_request(http_server, tmp_path, capfd):
    """A presigned link with a password: the video is fetched with them, and they are stored and shown nowhere."""
    import sqlite3

    clip = make_clip(tmp_path / "c.mp4", seconds=4, size=(320, 180), colours=[(250, 250, 250), (20, 40, 160)])
    seen = []

    def serve(req, n):
        seen.append(req)
        from tests.fakes.http_server import Reply

        return Reply(200, clip.read_bytes(), "video/mp4", {}, True)

    http_server.route("/signed.mp4", serve)
    link = http_server.url("/signed.mp4?X-Amz-Signature=SIGsecret123&X-Amz-Expires=600").replace(
        "http://", "http://lecturer:PASSsecret456@")
    out = tmp_path / "out"
    assert main(["-v", "make", link, "-o", str(out)]) == 0
    assert main(["status"]) == 0
    printed = "".join(capfd.readouterr())
    assert seen, "the video was fetched"
    import base64

    auth = {k.lower(): v for k, v in seen[0].headers.items()}.get("authorization", "")
    assert base64.b64decode(auth.removeprefix("Basic ")) == b"lecturer:PASSsecret456", "sent with its credentials"
    assert "SIGsecret123" in seen[0].path, "and with its signature"
    db = sqlite3.connect(tmp_path / "data" / "handouts.db")
    dump = "\n".join(db.iterdump())
    files = "".join(p.read_text(errors="ignore") for p in out.iterdir() if p.suffix in (".json", ".md"))
    for secret in ("SIGsecret123", "PASSsecret456"):
        assert secret not in dump, f"{secret} is stored in the database"
        assert secret not in printed, f"{secret} was printed or logged"
        assert secret not in files, f"{secret} is in the outputs"
    assert "X-Amz-Signature=redacted" in dump and "X-Amz-Expires=600" in dump
