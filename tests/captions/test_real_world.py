"""Caption files as people really download them: YouTube auto-captions via yt-dlp, editors' SRT, odd line ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.captions.rolling import is_rolling, merge_rolling
from pipeline.captions.subtitles import parse_subtitle_text, parse_subtitles
from pipeline.errors import BadCaptions
from pipeline.types import Cue

DATA = Path(__file__).parent / "data"


def test_yt_dlp_auto_captions_are_read_and_each_phrase_appears_once():
    cues = parse_subtitles(DATA / "youtube-auto.en.vtt")
    said = " ".join(c.text for c in cues)
    assert said == ("so today we look at the Rayleigh fading channel which has much lower capacity than with the "
                    "AWGN channel [Music] and the samples are i.i.d.")
    # Each kept cue holds only its new words and keeps the times the file gave it.
    assert cues[0] == Cue(0.16, 2.869, "so today we look at the Rayleigh")
    assert cues[1] == Cue(2.879, 5.51, "fading channel which has much lower")
    assert cues[-1] == Cue(11.0, 13.43, "and the samples are i.i.d.")
    assert all(c.end - c.start > 0.05 for c in cues)     # the 10 ms repeat cues are gone


def test_single_space_lines_do_not_split_a_cue():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n \nfirst words\n\n00:00:02.000 --> 00:00:03.000\nnext\n \n"
    assert parse_subtitle_text(text) == [Cue(1, 2, "first words"), Cue(2, 3, "next")]


def test_single_space_line_between_srt_cues_still_separates_them():
    text = "1\n00:00:01,000 --> 00:00:02,000\none\n \n2\n00:00:02,000 --> 00:00:03,000\ntwo\n \n \n" \
           "00:00:04,000 --> 00:00:05,000\nthree\n"
    assert [c.text for c in parse_subtitle_text(text)] == ["one", "two", "three"]


def test_editor_vtt_with_every_feature():
    text = ("\ufeffWEBVTT Lecture 3\r\n\r\nSTYLE\r\n::cue(.loud) { font-weight: bold }\r\n\r\n"
            "REGION\r\nid:left width:40% lines:3\r\n\r\nNOTE\r\nchecked by the editor\r\n\r\n"
            "slide-1\r\n00:01.000 --> 00:04.250 region:left align:left size:50% line:85%\r\n"
            "<v.first Prof. Larsson><i>Welcome</i> to <b>TSKS14</b>,</v>\r\n<c.loud>lecture three</c>\r\n\r\n"
            "1:02:03.5 --> 1:02:04.000\r\nan hour in &amp; x &lt; y\r\n")
    assert parse_subtitle_text(text) == [Cue(1.0, 4.25, "Welcome to TSKS14, lecture three"),
                                         Cue(3723.5, 3724.0, "an hour in & x < y")]


def test_old_mac_line_ends_and_comma_or_period_decimals():
    text = "1\r00:00:01.250 --> 00:00:02,500\rMac line ends\r\r2\r00:00:03,000 --> 00:00:04.000\rsecond\r"
    assert parse_subtitle_text(text) == [Cue(1.25, 2.5, "Mac line ends"), Cue(3, 4, "second")]


def test_angle_brackets_that_are_not_tags_stay():
    text = "1\n00:00:01,000 --> 00:00:02,000\nif x < 3 and y > 2 then <i>stop</i>\n"
    assert parse_subtitle_text(text)[0].text == "if x < 3 and y > 2 then stop"


def test_ordinary_captions_are_not_taken_for_rolling_ones():
    cues = [Cue(0, 1, "No."), Cue(1, 2, "No, that is wrong."), Cue(2, 3, "that is wrong because"),
            Cue(3, 4, "the channel fades."), Cue(4, 5, "Next slide.")]
    assert not is_rolling(cues)
    assert merge_rolling(cues) == cues


def test_roll_up_captions_three_lines_deep_are_merged():
    cues = [Cue(0, 2, "the first line"), Cue(2, 4, "the first line the second one"),
            Cue(4, 6, "the first line the second one and a third"), Cue(6, 8, "the second one and a third then more")]
    assert [c.text for c in merge_rolling(cues)] == ["the first line", "the second one", "and a third", "then more"]


def test_a_yt_dlp_file_with_a_broken_timing_names_the_line(tmp_path):
    broken = (DATA / "youtube-auto.en.vtt").read_text(encoding="utf-8").replace(
        "00:00:05.520 --> 00:00:08.150", "00:00:05.520 --> 00:00:08,1a0", 1)
    p = tmp_path / "auto.vtt"
    p.write_text(broken, encoding="utf-8")
    with pytest.raises(BadCaptions) as e:
        parse_subtitles(p)
    line = broken.splitlines().index("00:00:05.520 --> 00:00:08,1a0 align:start position:0%") + 1
    assert f"auto.vtt, line {line}: cannot read the timing" in e.value.message


def test_text_without_a_timing_inside_a_vtt_is_named(tmp_path):
    p = tmp_path / "x.vtt"
    p.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\nstray words here\nand more\n", encoding="utf-8")
    with pytest.raises(BadCaptions, match=r"x.vtt, line 6: expected a timing line .* found 'stray words here'"):
        parse_subtitles(p)
