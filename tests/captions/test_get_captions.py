"""The order of preference in get_captions, and what the user is told when there is nothing to caption."""

from __future__ import annotations

import pytest
from openai import OpenAI

from pipeline.captions import NO_AUDIO, NO_SPEECH, CaptionResult, get_captions
from pipeline.errors import BadCaptions
from pipeline.settings import load_settings
from pipeline.types import Cue, MediaInfo
from tests.fakes.media import make_clip_with_subtitles, write_srt
from tests.fakes.openai_server import FakeOpenAI

PATH = "/v1/audio/transcriptions"


def media(*, audio: bool = True, subs: int = 0, duration: float = 12.9) -> MediaInfo:
    return MediaInfo(duration=duration, width=160, height=90, fps=5.0, video_codec="h264", has_audio=audio,
                     subtitle_streams=subs, format_name="mp4")


@pytest.fixture()
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture()
def keyed(fake):
    return load_settings(OPENAI_API_KEY=fake.api_key, OPENAI_BASE_URL=fake.base_url, HANDOUTS_OFFLINE_ASR=True)


@pytest.fixture()
def offline():
    return load_settings(OPENAI_API_KEY=None, HANDOUTS_OFFLINE_ASR=True)


@pytest.fixture()
def nothing():
    return load_settings(OPENAI_API_KEY=None, HANDOUTS_OFFLINE_ASR=False)


@pytest.fixture()
def subbed(tmp_path):
    return make_clip_with_subtitles(tmp_path / "subbed.mp4", [(0.2, 1.0, "from the track")])


def test_sidecar_comes_first(tmp_path, subbed, keyed, fake):
    srt = write_srt(tmp_path / "given.srt", [(0.5, 1.5, "from the file")])
    result = get_captions(subbed, media(subs=1), keyed, sidecar=srt)
    assert result == CaptionResult([Cue(0.5, 1.5, "from the file")], "sidecar", [])
    assert fake.requests == []


def test_broken_sidecar_is_the_users_error(tmp_path, subbed, keyed):
    bad = tmp_path / "given.srt"
    bad.write_text("1\n00:00:01,000 --> soon\nx\n")
    with pytest.raises(BadCaptions, match="given.srt, line 2"):
        get_captions(subbed, media(subs=1), keyed, sidecar=bad)


def test_empty_sidecar_falls_through_with_a_warning(tmp_path, subbed, keyed):
    empty = tmp_path / "empty.vtt"
    empty.write_text("WEBVTT\n")
    result = get_captions(subbed, media(subs=1), keyed, sidecar=empty)
    assert result.source == "embedded" and result.cues == [Cue(0.2, 1.0, "from the track")]
    assert "empty.vtt holds no captions" in result.warnings[0]


def test_embedded_track_beats_speech_to_text(subbed, keyed, fake):
    result = get_captions(subbed, media(subs=1), keyed)
    assert result.source == "embedded" and fake.requests == []


def test_openai_when_a_key_is_configured(clips, keyed, fake):
    result = get_captions(clips["speech"], media(), keyed)
    assert result.source == "openai" and result.warnings == []
    assert result.cues[0] == Cue(0.0, 2.0, "chunk-000.mp3 segment 0")
    assert len(fake.requests_to(PATH)) == 1


def test_openai_when_a_client_is_passed_without_a_key(clips, offline, fake):
    client = OpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=0)
    result = get_captions(clips["speech"], media(), offline, openai_client=client)
    assert result.source == "openai" and len(fake.requests_to(PATH)) == 1


def test_offline_asr_without_a_key(clips, offline):
    progress = []
    result = get_captions(clips["speech"], media(), offline, progress=lambda f, m="": progress.append((f, m)))
    assert result.source == "offline" and len(result.cues) >= 2
    assert "offline speech recognition" in result.warnings[0]
    assert progress[-1][0] == 1.0


def test_no_recogniser_configured(clips, nothing):
    result = get_captions(clips["speech"], media(), nothing)
    assert result.source == "none" and result.cues == []
    assert "OPENAI_API_KEY" in result.warnings[0] and "HANDOUTS_OFFLINE_ASR" in result.warnings[0]


def test_no_audio_track(clips, keyed, fake):
    result = get_captions(clips["mute"], media(audio=False), keyed)
    assert result == CaptionResult([], "none", [NO_AUDIO])
    assert result.warnings == ["the video has no audio track: the handout has slides without captions"]
    assert fake.requests == []


@pytest.mark.parametrize("clip", ["silence", "tone"])
def test_no_speech_is_none_and_nothing_is_uploaded(clips, keyed, fake, clip):
    result = get_captions(clips[clip], media(duration=3), keyed)
    assert result == CaptionResult([], "none", [NO_SPEECH])
    assert fake.requests == []


def test_result_round_trips_through_json():
    r = CaptionResult([Cue(1, 2, "a")], "offline", ["w"])
    assert CaptionResult.from_json(r.to_json()) == r


def test_openai_captions_are_marked_machine_heard_with_the_model(clips, keyed, fake):
    result = get_captions(clips["speech"], media(), keyed)
    assert result.machine is True and result.recogniser == "openai:whisper-1"
    assert result.to_json()["machine"] is True and result.to_json()["recogniser"] == "openai:whisper-1"


def test_offline_captions_are_marked_machine_heard(clips, offline):
    result = get_captions(clips["speech"], media(), offline)
    assert result.machine is True and result.recogniser in ("offline:pocketsphinx", "offline:whisper-tiny.en")


def test_a_persons_captions_are_not_machine_heard(tmp_path, subbed, keyed):
    srt = write_srt(tmp_path / "given.srt", [(0.5, 1.5, "from the file")])
    for result in (get_captions(subbed, media(subs=1), keyed, sidecar=srt), get_captions(subbed, media(subs=1), keyed)):
        assert (result.machine, result.recogniser) == (False, None)
        assert result.to_json()["machine"] is False and result.to_json()["recogniser"] is None


@pytest.mark.parametrize("checkpoint, machine, recogniser", [
    ({"source": "openai", "cues": []}, True, "openai"),
    ({"source": "offline", "cues": []}, True, "offline"),
    ({"source": "sidecar", "cues": []}, False, None),
    ({"source": "openai", "cues": [], "machine": True, "recogniser": "openai:gpt-4o-transcribe"}, True,
     "openai:gpt-4o-transcribe"),
])
def test_older_checkpoints_are_read_by_their_source(checkpoint, machine, recogniser):
    r = CaptionResult.from_json(checkpoint)
    assert (r.machine, r.recogniser) == (machine, recogniser)
