"""Local paths: probe before placing, place without rewriting bytes where possible, bring the caption file along."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from pipeline.errors import InputError, NotAVideo, NoVideoStream, SourceNotFound
from pipeline.sources import FetchedSource, fetch_source, files
from pipeline.sources.local import find_sidecar
from tests.fakes.media import write_srt
from tests.sources.conftest import leftovers


def test_local_file_is_placed_hashed_and_probed(tmp_path, dest, settings, clips):
    src = tmp_path / "in" / "Week 3 lecture.mp4"
    src.parent.mkdir()
    shutil.copy(clips["mp4"], src)
    seen = []
    got = fetch_source(str(src), dest, settings, progress=lambda f, m="": seen.append(f))
    assert got.kind == "file" and got.original_name == "Week 3 lecture.mp4"
    assert got.path == dest / "source.mp4" and got.path.read_bytes() == src.read_bytes()
    assert got.sha256 == hashlib.sha256(src.read_bytes()).hexdigest() and got.size == src.stat().st_size
    assert got.media.duration == pytest.approx(3.0, abs=0.1) and got.sidecar_captions is None
    assert seen[-1] == 1.0
    assert leftovers(dest) == ["source.mp4"]
    assert FetchedSource.from_json(got.to_json()) == got


def test_file_url_and_sidecar_captions(tmp_path, dest, settings, clips):
    src = tmp_path / "lecture.mp4"
    shutil.copy(clips["mp4"], src)
    write_srt(tmp_path / "lecture.srt", [(0.0, 1.5, "Welcome back")])
    got = fetch_source(src.as_uri(), dest, settings)
    assert got.sidecar_captions == dest / "captions.srt"
    assert "Welcome back" in got.sidecar_captions.read_text()


def test_sidecar_with_language_tag_prefers_the_configured_language(tmp_path, clips):
    video = tmp_path / "lecture.mp4"
    shutil.copy(clips["mp4"], video)
    for name in ("lecture.de.vtt", "lecture.en.srt", "lecture-notes.srt", "other.srt"):
        (tmp_path / name).write_text("WEBVTT\n" if name.endswith("vtt") else "1\n00:00:00,000 --> 00:00:01,000\nx\n")
    assert find_sidecar(video, "en").name == "lecture.en.srt"
    assert find_sidecar(video, "de").name == "lecture.de.vtt"
    (tmp_path / "lecture.vtt").write_text("WEBVTT\n")
    assert find_sidecar(video, "de").name == "lecture.vtt"


def test_ts_keeps_its_container(dest, settings, clips):
    got = fetch_source(str(clips["ts"]), dest, settings)
    assert got.path.name == "source.ts" and got.media.format_name == "mpegts"


def test_fetching_twice_into_the_same_folder_replaces_the_first(dest, settings, clips):
    first = fetch_source(str(clips["mp4"]), dest, settings)
    again = fetch_source(str(first.path), dest, settings)
    assert again.sha256 == first.sha256 and leftovers(dest) == ["source.mp4"]


@pytest.mark.parametrize("source, error, words", [
    ("", InputError, "no source"),
    ("   ", InputError, "no source"),
    ("ftp://files.example/lecture.mp4", InputError, "ftp:// links are not supported"),
    ("/no/such/lecture.mp4", SourceNotFound, "does not exist"),
    ("file://fileserver/share/lecture.mp4", InputError, "another machine"),
])
def test_bad_sources(dest, settings, source, error, words):
    with pytest.raises(error, match=words):
        fetch_source(source, dest, settings)
    assert leftovers(dest) == []


def test_a_folder_is_not_a_video(tmp_path, dest, settings):
    with pytest.raises(InputError, match="is a folder"):
        fetch_source(str(tmp_path), dest, settings)


@pytest.mark.parametrize("content, error", [
    (b"", NotAVideo),
    (b"just some notes\n", NotAVideo),
    (b"<!doctype html><html><body>viewer</body></html>", NotAVideo),
])
def test_local_non_videos_leave_nothing_behind(tmp_path, dest, settings, content, error):
    f = tmp_path / "lecture.mp4"
    f.write_bytes(content)
    with pytest.raises(error, match="lecture.mp4"):
        fetch_source(str(f), dest, settings)
    assert leftovers(dest) == []


def test_local_audio_only(dest, settings, clips):
    with pytest.raises(NoVideoStream):
        fetch_source(str(clips["audio"]), dest, settings)
    assert leftovers(dest) == []


def test_copy_is_used_when_links_are_impossible(tmp_path, dest, settings, clips, monkeypatch):
    # Across filesystems neither a clone nor a hard link works; the bytes are then copied and hashed in one pass.
    def no_link(src, dst):
        raise OSError(18, "Invalid cross-device link")
    monkeypatch.setattr(files.os, "link", no_link)
    monkeypatch.setattr(files, "_reflink", lambda src, dst: False)
    got = fetch_source(str(clips["mp4"]), dest, settings)
    assert got.path.stat().st_ino != clips["mp4"].stat().st_ino
    assert got.sha256 == hashlib.sha256(clips["mp4"].read_bytes()).hexdigest()
    assert leftovers(dest) == ["source.mp4"]


def test_same_filesystem_avoids_a_byte_copy(tmp_path, dest, settings, clips):
    src = tmp_path / "lecture.mp4"
    shutil.copy(clips["mp4"], src)
    got = fetch_source(str(src), dest, settings)
    # A hard link shares the inode; a reflink shares the blocks. Either way the content is the same.
    assert got.path.read_bytes() == src.read_bytes()
    assert got.path.stat().st_ino == src.stat().st_ino or got.path.stat().st_nlink == 1
