"""SRT/WebVTT parsing: the messy files people really have, and the broken ones they must hear about."""

from __future__ import annotations

import pytest

from pipeline.captions.subtitles import parse_subtitle_text, parse_subtitles, write_srt, write_vtt
from pipeline.errors import BadCaptions
from pipeline.types import Cue


def write(tmp_path, name: str, content: str | bytes):
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


def test_plain_srt(tmp_path):
    p = write(tmp_path, "a.srt", "1\n00:00:01,000 --> 00:00:04,500\nHello there\n\n2\n00:01:02,250 --> 01:00:03,000\n"
              "Second cue\n")
    assert parse_subtitles(p) == [Cue(1.0, 4.5, "Hello there"), Cue(62.25, 3603.0, "Second cue")]


def test_srt_with_bom_crlf_missing_numbers_and_multiline(tmp_path):
    text = ("\ufeff00:00:01,000 --> 00:00:02,000\r\nfirst line\r\nsecond line\r\n\r\n"
            "00:00:03,000 --> 00:00:04,000\r\nnext\r\n")
    assert parse_subtitles(write(tmp_path, "b.srt", text)) == [Cue(1, 2, "first line second line"), Cue(3, 4, "next")]


def test_tags_entities_and_ass_overrides_are_stripped(tmp_path):
    text = ("1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>Tom</i> &amp; <b>Jerry</b> &lt;3\n\n"
            "2\n00:00:02,000 --> 00:00:03,000\n<font color=\"red\">red</font> &eacute;t&eacute;\n")
    assert [c.text for c in parse_subtitles(write(tmp_path, "c.srt", text))] == ["Tom & Jerry <3", "red été"]


def test_webvtt_header_note_style_region_settings_and_short_times(tmp_path):
    text = """WEBVTT - lecture 3
Kind: captions
Language: en

NOTE this is a comment
that spans lines

STYLE
::cue { color: yellow }

REGION
id:fred width:40%

intro
00:01.500 --> 00:03.000 align:start position:10% line:0
<v Prof>Welcome</v> <c.yellow>everyone</c>

00:00:04.000 --> 00:00:05.250
<00:00:04.100>karaoke <00:00:04.600>style
"""
    assert parse_subtitles(write(tmp_path, "d.vtt", text)) == [Cue(1.5, 3.0, "Welcome everyone"),
                                                               Cue(4.0, 5.25, "karaoke style")]


def test_format_is_told_by_content_not_extension(tmp_path):
    vtt_named_srt = write(tmp_path, "e.srt", "WEBVTT\n\nNOTE hi\n\n00:01.000 --> 00:02.000\nx\n")
    srt_named_txt = write(tmp_path, "f.txt", "1\n00:00:01,000 --> 00:00:02,000\ny\n")
    assert parse_subtitles(vtt_named_srt) == [Cue(1, 2, "x")]
    assert parse_subtitles(srt_named_txt) == [Cue(1, 2, "y")]


def test_dot_or_comma_millis_and_short_millis_and_coordinates():
    text = "1\n00:00:01.5 --> 00:00:02,25  X1:10 X2:20 Y1:1 Y2:2\nz\n"
    assert parse_subtitle_text(text) == [Cue(1.5, 2.25, "z")]


def test_cues_sorted_and_overlaps_kept():
    text = ("00:00:05,000 --> 00:00:06,000\nlate\n\n00:00:01,000 --> 00:00:07,000\nlong\n\n"
            "00:00:02,000 --> 00:00:03,000\ninside\n")
    assert [c.text for c in parse_subtitle_text(text)] == ["long", "inside", "late"]


@pytest.mark.parametrize("content", ["", "\n\n  \n", "\ufeff", "WEBVTT\n\nNOTE only a note\n"])
def test_empty_files_have_zero_cues(tmp_path, content):
    assert parse_subtitles(write(tmp_path, "empty.srt", content)) == []


def test_cue_with_no_text_is_skipped():
    assert parse_subtitle_text("1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n\n2\n00:00:03,000 --> 00:00:04,000\nok\n") \
        == [Cue(3, 4, "ok")]


def test_cp1252_file_is_read():
    raw = "1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n".encode("cp1252")
    from pipeline.captions.subtitles import _decode
    assert parse_subtitle_text(_decode(raw)) == [Cue(1, 2, "café")]


@pytest.mark.parametrize("content, line, words", [
    ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:xx,000 --> 00:00:03,000\nbad\n", 6, "cannot read the timing"),
    ("1\n00:00:01,000 --> 00:00:02,000\nok\n\njust some text\nwith no timing\n", 5, "expected a timing line"),
    ("\n\n1\n00:00:05,000 --> 00:00:02,000\nbackwards\n", 4, "ends"),
    ("1\nstray\n00:00:01,000 --> 00:00:02,000\nx\n", 2, "unexpected text"),
    ("WEBVTT\n\n00:01.000 -> 00:02.000 --> \nx\n", 3, "cannot read the timing"),
])
def test_malformed_files_name_file_and_line(tmp_path, content, line, words):
    with pytest.raises(BadCaptions) as e:
        parse_subtitles(write(tmp_path, "broken.srt", content))
    assert f"broken.srt, line {line}:" in e.value.message
    assert words in e.value.message
    assert e.value.code == "bad_captions"


def test_not_a_caption_file_at_all(tmp_path):
    with pytest.raises(BadCaptions, match="not an SRT or WebVTT"):
        parse_subtitles(write(tmp_path, "notes.srt", "Dear students,\nthe exam is on Monday.\n"))


def test_missing_file_is_bad_captions(tmp_path):
    with pytest.raises(BadCaptions, match="cannot read the caption file missing.srt"):
        parse_subtitles(tmp_path / "missing.srt")


@pytest.mark.parametrize("writer", [write_srt, write_vtt])
def test_write_then_parse_round_trips(tmp_path, writer):
    cues = [Cue(0.0, 1.25, "plain"), Cue(1.5, 3601.001, "Tom & Jerry <3"), Cue(4, 5, "a --> b"),
            Cue(6, 7, "two\n\nlines")]
    back = parse_subtitles(writer(cues, tmp_path / "out.sub"))
    assert [(c.start, c.end) for c in back] == [(c.start, c.end) for c in cues]
    texts = [c.text for c in back]
    assert texts[0] == "plain" and texts[2] == "a -> b" and texts[3] == "two lines"
    if writer is write_vtt:   # WebVTT escapes what it reserves, so the text survives exactly
        assert texts[1] == "Tom & Jerry <3"
