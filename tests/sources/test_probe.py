"""The container probe decides by content: names lie, and each way of failing gets its own error."""

from __future__ import annotations

import av
import pytest
from PIL import Image

from pipeline.errors import CorruptMedia, NotAVideo, NoVideoStream, SourceNotFound
from pipeline.media import probe, remux_to_mp4, sniff
from tests.fakes.media import make_clip, write_srt


def test_probe_reads_a_small_clip(clips):
    info = probe(clips["mp4"])
    assert (info.width, info.height, info.fps, info.video_codec) == (160, 90, 10.0, "h264")
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert info.has_audio and info.subtitle_streams == 0
    assert "mp4" in info.format_name


def test_probe_reads_ts_and_video_without_audio(clips):
    assert probe(clips["ts"]).format_name == "mpegts"
    assert probe(clips["silent"]).has_audio is False


def test_missing_file(tmp_path):
    with pytest.raises(SourceNotFound, match="does not exist"):
        probe(tmp_path / "nope.mp4")


@pytest.mark.parametrize("content, looks", [
    (b"", "empty"),
    (b"Lecture notes\nweek 1\n" * 20, "a text file"),
    (b"<!DOCTYPE html><html><head><title>Panopto</title></head><body></body></html>", "web page"),
    (b'{"error": "not authorised"}', "JSON"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    (bytes(range(256)) * 20, "does not recognise"),
])
def test_files_named_mp4_that_are_not_videos(tmp_path, content, looks):
    f = tmp_path / "lecture.mp4"
    f.write_bytes(content)
    with pytest.raises(NotAVideo, match=looks) as e:
        probe(f)
    assert "lecture.mp4" in e.value.message


def test_html_message_points_at_the_viewer_page(tmp_path):
    f = tmp_path / "lecture.mp4"
    f.write_text("<html><body>sign in</body></html>")
    with pytest.raises(NotAVideo, match="viewer page.*direct video URL"):
        probe(f, "https://uni.example/view?id=1")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_a_still_image_is_not_a_video(tmp_path, fmt):
    f = tmp_path / f"slide.{fmt.lower()}"
    Image.new("RGB", (64, 48), (200, 10, 10)).save(f, fmt)
    with pytest.raises(NotAVideo, match="image"):
        probe(f)


def test_image_without_a_known_signature_is_caught_after_opening(tmp_path):
    # BMP has no magic number in the sniffer; FFmpeg names it an image pipe and the probe refuses that.
    f = tmp_path / "slide.mp4"
    Image.new("RGB", (64, 48), (0, 0, 200)).save(f, "BMP")
    with pytest.raises(NotAVideo, match="image"):
        probe(f)


def test_audio_only_file(clips):
    with pytest.raises(NoVideoStream, match="no video stream"):
        probe(clips["audio"])


def test_mp4_cut_in_half_is_corrupt_with_advice(tmp_path, clips):
    data = clips["mp4"].read_bytes()
    f = tmp_path / "half.mp4"
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptMedia, match="download it again"):
        probe(f)


def test_faststart_mp4_cut_short_is_caught_by_the_tail_check(tmp_path):
    # With the index at the front the file still opens; only reading near the end shows data missing.
    whole = make_clip(tmp_path / "long.mp4", seconds=12, size=(96, 64), audio=None)
    fast = tmp_path / "fast.mp4"
    with av.open(str(whole)) as i, av.open(str(fast), "w", options={"movflags": "faststart"}) as o:
        s = o.add_stream_from_template(i.streams.video[0])
        for p in i.demux(i.streams.video[0]):
            if p.dts is not None:
                p.stream = s
                o.mux(p)
    assert probe(fast).duration == pytest.approx(12, abs=0.2)
    data = fast.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptMedia, match="cut.mp4.*download it again"):
        probe(cut)


def test_subtitle_tracks_are_counted(tmp_path, clips):
    srt = write_srt(tmp_path / "c.srt", [(0, 1, "hello"), (1, 2, "world")])
    out = tmp_path / "subbed.mkv"
    with av.open(str(clips["silent"])) as v, av.open(str(srt)) as s, av.open(str(out), "w") as o:
        vo, so = o.add_stream_from_template(v.streams.video[0]), o.add_stream_from_template(s.streams[0])
        for src, dst in ((v.demux(v.streams.video[0]), vo), (s.demux(), so)):
            for p in src:
                if p.dts is not None:
                    p.stream = dst
                    o.mux(p)
    info = probe(out)
    assert info.subtitle_streams == 1 and "matroska" in info.format_name


def test_remux_ts_to_mp4_keeps_streams_without_reencoding(tmp_path, clips):
    dst = tmp_path / "out.mp4"
    remux_to_mp4(clips["ts"], dst)
    info = probe(dst)
    assert "mp4" in info.format_name and info.has_audio and info.video_codec == "h264"
    assert info.duration == pytest.approx(3.0, abs=0.15)
    with av.open(str(clips["ts"])) as a, av.open(str(dst)) as b:
        assert sum(1 for _ in a.demux(a.streams.video[0]) if _.size) == sum(1 for _ in b.demux(b.streams.video[0]) if _.size)


def test_remux_refuses_audio_only(tmp_path, clips):
    with pytest.raises(NoVideoStream):
        remux_to_mp4(clips["audio"], tmp_path / "x.mp4")


def test_sniff_names_common_kinds():
    assert sniff(b"#EXTM3U\n#EXT-X-VERSION:3\n").kind == "playlist"
    assert sniff(b"\x00\x00\x00\x18ftypmp42").kind == "video"
    assert sniff(b"\x00\x00\x00\x18ftypheic").kind == "image"
    assert sniff(b"\x1a\x45\xdf\xa3\x01").kind == "video"
