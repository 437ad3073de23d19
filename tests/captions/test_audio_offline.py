"""PCM streaming, the speech check, and offline recognition with the model pocketsphinx ships."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.captions.audio import SAMPLE_RATE, has_audio, has_speech_energy, iter_pcm, looks_like_speech
from pipeline.captions.offline import Word, recognise_words, transcribe_offline, words_to_cues
from pipeline.errors import Cancelled

from .conftest import SPEECH


def test_pcm_streams_in_chunks_of_16k_mono(clips):
    chunks = list(iter_pcm(clips["tone"], chunk_seconds=1.0))
    assert [c.start for c in chunks[:3]] == [0.0, 1.0, 2.0]
    assert all(c.samples.dtype == np.int16 and c.samples.ndim == 1 for c in chunks)
    assert all(len(c.samples) == SAMPLE_RATE for c in chunks[:-1])
    assert 2.95 <= sum(len(c.samples) for c in chunks) / SAMPLE_RATE <= 3.1


def test_pcm_from_an_offset_matches_the_full_stream():
    full = np.concatenate([c.samples for c in iter_pcm(SPEECH, chunk_seconds=2.0)])
    part = list(iter_pcm(SPEECH, chunk_seconds=1.0, start=5.25))
    assert part[0].start == pytest.approx(5.25)
    at = int(5.25 * SAMPLE_RATE)
    assert np.array_equal(part[0].samples, full[at:at + SAMPLE_RATE])


def test_no_audio_track_yields_nothing(clips):
    assert has_audio(clips["mute"]) is False
    assert list(iter_pcm(clips["mute"])) == []


def test_speech_check_tells_speech_from_silence_tone_and_noise(clips):
    assert has_speech_energy(clips["speech"])
    assert not has_speech_energy(clips["silence"])
    assert not has_speech_energy(clips["tone"])
    assert not has_speech_energy(clips["mute"])
    noise = (np.random.default_rng(1).normal(0, 3000, SAMPLE_RATE * 3)).astype(np.int16)
    assert not looks_like_speech(noise)


@pytest.mark.parametrize("clip", ["silence", "tone", "mute"])
def test_offline_asr_finds_nothing_without_speech(clips, clip):
    assert transcribe_offline(clips[clip], 3.0) == []


def test_offline_asr_hears_words_with_plausible_timings(clips):
    reports = []
    words = recognise_words(clips["speech"], 12.9, progress=lambda f, m="": reports.append(f))
    heard = {w.text: w for w in words}
    # espeak's voice through AAC is hard for pocketsphinx, but these content words come through.
    assert {"computers", "machines", "large", "room"} <= set(heard)
    assert 4.0 < heard["computers"].start < 6.2      # end of the first sentence
    assert 7.5 < heard["machines"].start < 9.5       # start of the second, after the pause
    assert 10.5 < heard["room"].end <= 12.9
    assert all(w.start < w.end for w in words) and words == sorted(words, key=lambda w: w.start)
    assert reports and reports[-1] == 1.0 and reports == sorted(reports)
    cues = words_to_cues(words)
    assert len(cues) >= 2 and not any(6.2 < c.start < 7.5 for c in cues)   # nothing said in the pause


def test_offline_asr_stops_when_cancelled(clips):
    def cancel():
        raise Cancelled()
    with pytest.raises(Cancelled):
        transcribe_offline(clips["speech"], cancel_check=cancel)


def test_words_group_into_caption_sized_cues():
    words = [Word(f"w{i}", i * 0.5, i * 0.5 + 0.4) for i in range(30)]            # 15 s of steady talk
    words += [Word("after", 20.0, 20.3), Word("pause", 20.4, 20.8)]
    cues = words_to_cues(words)
    assert [w for c in cues for w in c.text.split()] == [w.text for w in words]  # nothing lost or repeated
    assert all(c.end - c.start <= 10.0 for c in cues)
    assert cues[-1].text == "after pause" and cues[-1].start == 20.0
