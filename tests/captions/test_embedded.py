"""Caption tracks inside the video: every text subtitle codec FFmpeg muxes, read by demuxing only that stream."""

from __future__ import annotations

import av
import pytest

from pipeline.captions.embedded import extract_embedded
from pipeline.errors import CorruptMedia
from pipeline.types import Cue
from tests.fakes.media import make_clip_with_subtitles

CUES = [(1.8, 2.6, "line one\\Nline two &amp; more"), (0.5, 1.5, "Hello {\\i1}there{\\i0}")]


@pytest.mark.parametrize("codec", ["mov_text", "subrip", "webvtt", "ass"])
def test_text_track_is_read_tags_stripped_and_sorted(tmp_path, codec):
    clip = make_clip_with_subtitles(tmp_path / f"c.{'mp4' if codec == 'mov_text' else 'mkv'}", CUES, codec=codec)
    with av.open(str(clip)) as c:   # the clip really carries the codec under test
        assert c.streams.subtitles[0].codec_context.name in {codec, "srt", "ssa"}
    assert extract_embedded(clip) == [Cue(0.5, 1.5, "Hello there"), Cue(1.8, 2.6, "line one line two & more")]


def test_no_subtitle_stream_gives_nothing(clips):
    assert extract_embedded(clips["tone"]) == []


def test_unreadable_file_is_corrupt_media(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(CorruptMedia, match="junk.mp4"):
        extract_embedded(junk)
