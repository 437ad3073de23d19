"""OpenAI speech-to-text through the real SDK against the fake server on loopback."""

from __future__ import annotations

import pytest
from openai import OpenAI

from pipeline.captions.openai_stt import audio_chunks, make_openai_client, transcribe_openai
from pipeline.errors import ConfigError, SourceUnavailable, StageFailed
from pipeline.settings import load_settings
from tests.fakes.openai_server import FakeOpenAI, audio_seconds

PATH = "/v1/audio/transcriptions"


@pytest.fixture()
def fake():
    with FakeOpenAI(segment_seconds=2.0) as server:
        yield server


@pytest.fixture()
def settings(fake):
    return load_settings(OPENAI_API_KEY=fake.api_key, OPENAI_BASE_URL=fake.base_url, HANDOUTS_OPENAI_TIMEOUT=10)


@pytest.fixture()
def client(settings):
    return make_openai_client(settings)


def test_chunks_are_small_contiguous_and_cut_near_their_target(clips):
    chunks = list(audio_chunks(clips["speech"], chunk_seconds=5.0))
    assert len(chunks) == 3
    assert chunks[0].start == 0.0
    for a, b in zip(chunks, chunks[1:]):
        assert b.start == pytest.approx(a.end)             # no gap, no overlap
        assert 3.75 <= a.end - a.start <= 5.0               # cut within the last quarter, at a quiet point
    assert chunks[-1].end == pytest.approx(12.912, abs=0.05)
    for c in chunks:
        assert audio_seconds(c.data) == pytest.approx(c.end - c.start, abs=0.08)
        assert len(c.data) < 6000 * (c.end - c.start)       # ~4 KB a second: 32 kbit/s MP3


def test_transcript_offsets_each_chunk_by_its_start(clips, fake, client, settings):
    progress = []
    cues = transcribe_openai(clips["speech"], client, settings, duration=12.9, chunk_seconds=5.0,
                             progress=lambda f, m="": progress.append(f))
    sent = fake.requests_to(PATH)
    assert len(sent) == 3
    chunks = list(audio_chunks(clips["speech"], chunk_seconds=5.0))
    for i, (request, chunk) in enumerate(zip(sent, chunks)):
        assert request.form["model"] == ["whisper-1"]
        assert request.form["response_format"] == ["verbose_json"]
        assert request.form["timestamp_granularities[]"] == ["segment"]
        assert request.form["language"] == ["en"]
        name, data = request.files["file"]
        assert name == f"chunk-{i:03d}.mp3" and data == chunk.data
        first = next(c for c in cues if c.text == f"chunk-{i:03d}.mp3 segment 0")
        assert first.start == pytest.approx(chunk.start, abs=1e-3)
        second = next(c for c in cues if c.text == f"chunk-{i:03d}.mp3 segment 1")
        assert second.start == pytest.approx(chunk.start + 2.0, abs=1e-3)
    assert cues == sorted(cues, key=lambda c: c.start)
    assert all(b.start >= a.end - 1e-3 for a, b in zip(cues, cues[1:]))
    assert cues[-1].end == pytest.approx(chunks[-1].end, abs=1e-3)
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_429_waits_as_long_as_retry_after_says(clips, fake, client, settings):
    fake.fail_next(PATH, 429, headers={"Retry-After": "3"})
    waits = []
    cues = transcribe_openai(clips["speech"], client, settings, sleep=waits.append)
    assert waits == [3.0]
    assert len(fake.requests_to(PATH)) == 2 and cues


def test_500_then_success_backs_off_with_jitter(clips, fake, client, settings):
    fake.fail_next(PATH, 500, times=2)
    fake.fail_next(PATH, 503, headers={"retry-after-ms": "250"})
    waits = []
    cues = transcribe_openai(clips["speech"], client, settings, sleep=waits.append)
    assert len(waits) == 3 and 0 <= waits[0] <= 2 and 0 <= waits[1] <= 4 and waits[2] == 0.25
    assert len(fake.requests_to(PATH)) == 4 and cues[0].text == "chunk-000.mp3 segment 0"


def test_persistent_5xx_gives_up_as_a_retryable_outage(clips, fake, client, settings):
    fake.fail_next(PATH, 502, times=3)
    with pytest.raises(SourceUnavailable) as e:
        transcribe_openai(clips["speech"], client, settings, sleep=lambda s: None, max_attempts=3)
    assert e.value.retryable and e.value.status == 502 and "3 tries" in e.value.message
    assert e.value.url.endswith("/v1/audio/transcriptions")


def test_wrong_key_fails_at_once_naming_the_variable(clips, fake, settings):
    bad = OpenAI(api_key="sk-wrong", base_url=fake.base_url, max_retries=0)
    waits = []
    with pytest.raises(StageFailed) as e:
        transcribe_openai(clips["speech"], bad, settings, sleep=waits.append)
    assert "OPENAI_API_KEY" in e.value.message and "401" in e.value.message
    assert e.value.retryable is False and waits == [] and len(fake.requests) == 1
    assert "sk-wrong" not in e.value.message


def test_exhausted_quota_is_not_retried(clips, fake, client, settings):
    fake.fail_next(PATH, 429, body={"error": {"message": "quota", "type": "insufficient_quota",
                                              "code": "insufficient_quota"}})
    with pytest.raises(StageFailed, match="no quota left") as e:
        transcribe_openai(clips["speech"], client, settings, sleep=lambda s: None)
    assert e.value.retryable is False


def test_bad_request_is_not_retried(clips, fake, client, settings):
    fake.fail_next(PATH, 400, body={"error": {"message": "Invalid file format.", "type": "invalid_request_error"}})
    with pytest.raises(StageFailed, match="Invalid file format") as e:
        transcribe_openai(clips["speech"], client, settings, sleep=lambda s: None)
    assert e.value.retryable is False and len(fake.requests_to(PATH)) == 1


def test_unreachable_server_is_a_retryable_outage(clips, settings):
    with FakeOpenAI() as gone:
        url = gone.base_url
    client = OpenAI(api_key="sk-x", base_url=url, max_retries=0, timeout=2)
    with pytest.raises(SourceUnavailable, match="could not be reached"):
        transcribe_openai(clips["speech"], client, settings, sleep=lambda s: None, max_attempts=2)


def test_client_needs_a_key():
    with pytest.raises(ConfigError) as e:
        make_openai_client(load_settings(OPENAI_API_KEY=None))
    assert e.value.variable == "OPENAI_API_KEY"
