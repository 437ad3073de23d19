"""Offline speech recognition with pocketsphinx and the en-US model its wheel ships: no network, no key.

Audio is streamed through pocketsphinx's voice-activity endpointer; each stretch of speech is decoded as
one utterance, and its words (with the decoder's own frame timings) are grouped into caption-sized cues.
Accuracy is far below a cloud model, but the timings are real, so slides still get what was said near them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..types import CancelCheck, Cue, Progress, no_cancel, no_progress
from .audio import SAMPLE_RATE, iter_pcm, looks_like_speech

MAX_UTTERANCE_SECONDS = 30.0   # a lecturer who never pauses still gets cut, so memory stays bounded
MAX_CUE_SECONDS = 10.0
MAX_CUE_WORDS = 18
CUE_GAP_SECONDS = 0.6          # a pause this long starts a new cue
MAX_WORD_SECONDS = 1.5         # a "word" longer than this is the decoder matching noise


@dataclass(frozen=True)
class Word:
    """One recognised word and when it was said, in seconds from the start of the recording."""

    text: str
    start: float
    end: float


def _decoder():
    # Imported here so that importing the captions package stays cheap where offline ASR is off.
    from pocketsphinx import Decoder, Endpointer
    decoder = Decoder(loglevel="FATAL")
    return decoder, Endpointer(sample_rate=SAMPLE_RATE), int(decoder.config["frate"])


def _clean_word(word: str) -> str | None:
    """The dictionary spelling of a word, or None for silences, noises and sentence marks."""
    if not word or word.startswith(("<", "[", "+")):
        return None
    return word.split("(", 1)[0]   # "the(2)" is the second pronunciation of "the"


def recognise_words(video: Path, duration: float | None = None, *, progress: Progress = no_progress,
                    cancel_check: CancelCheck = no_cancel) -> list[Word]:
    """Every word pocketsphinx hears in the audio track, in order, with timings; [] for silence or no audio."""
    decoder, endpointer, frate = _decoder()
    frame_bytes = endpointer.frame_bytes
    words: list[Word] = []
    utt_start: float | None = None
    utt_pcm: list[bytes] = []
    buffer = b""
    last_report = -1.0

    def finish() -> None:
        nonlocal utt_start, utt_pcm
        decoder.end_utt()
        pcm = np.frombuffer(b"".join(utt_pcm), dtype=np.int16)
        # The endpointer takes hum, tones and noise for speech; a flat loudness envelope gives them away.
        if utt_start is not None and looks_like_speech(pcm):
            for seg in decoder.seg():
                text = _clean_word(seg.word)
                if text is None:
                    continue
                start, end = utt_start + seg.start_frame / frate, utt_start + (seg.end_frame + 1) / frate
                if end - start <= MAX_WORD_SECONDS:
                    words.append(Word(text, round(start, 2), round(end, 2)))
        utt_start, utt_pcm = None, []

    for chunk in iter_pcm(video, chunk_seconds=1.0):
        cancel_check()
        buffer += chunk.samples.tobytes()
        while len(buffer) >= frame_bytes:
            frame, buffer = buffer[:frame_bytes], buffer[frame_bytes:]
            speech = endpointer.process(frame)
            if speech is None:
                continue
            if utt_start is None:
                decoder.start_utt()
                utt_start = endpointer.speech_start
            decoder.process_raw(speech, False, False)
            utt_pcm.append(bytes(speech))
            if not endpointer.in_speech or endpointer.speech_end - utt_start >= MAX_UTTERANCE_SECONDS:
                finish()
        if duration and chunk.end - last_report >= 10:
            last_report = chunk.end
            progress(min(chunk.end / duration, 1.0) * 0.99, f"recognising speech offline: {chunk.end:.0f} s "
                     f"of {duration:.0f} s")
    tail = endpointer.end_stream(buffer) if buffer else None
    if tail is not None and utt_start is None:
        decoder.start_utt()
        utt_start = endpointer.speech_start
    if tail is not None:
        decoder.process_raw(tail, False, False)
        utt_pcm.append(bytes(tail))
    if utt_start is not None:
        finish()
    progress(1.0, f"offline speech recognition found {len(words)} words")
    return words


def words_to_cues(words: list[Word]) -> list[Cue]:
    """Group words into caption-sized cues: a new cue after a pause, or when one grows too long."""
    cues: list[Cue] = []
    group: list[Word] = []
    for w in words:
        if group and (w.start - group[-1].end > CUE_GAP_SECONDS or w.end - group[0].start > MAX_CUE_SECONDS
                      or len(group) >= MAX_CUE_WORDS):
            cues.append(Cue(group[0].start, group[-1].end, " ".join(g.text for g in group)))
            group = []
        group.append(w)
    if group:
        cues.append(Cue(group[0].start, group[-1].end, " ".join(g.text for g in group)))
    return cues


def transcribe_offline(video: Path, duration: float | None = None, *, progress: Progress = no_progress,
                       cancel_check: CancelCheck = no_cancel) -> list[Cue]:
    """Caption cues recognised offline from the video's audio; [] when there is no audio or no speech."""
    return words_to_cues(recognise_words(video, duration, progress=progress, cancel_check=cancel_check))
