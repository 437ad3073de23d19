"""OpenAI speech-to-text: the audio track as small MP3 chunks, each sent once, timings put back in place.

The upload limit is 25 MB per request. Mono 16 kHz MP3 at 32 kbit/s is 4 KB a second, so a ten-minute
chunk is about 2.4 MB: far under the limit, and a failed request costs little to resend. Chunks end at the
quietest moment near their nominal end, so a word is rarely cut in two.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from ..errors import ConfigError, SourceUnavailable, StageFailed
from ..settings import Settings
from ..types import CancelCheck, Cue, Progress, no_cancel, no_progress
from .audio import SAMPLE_RATE, frame_rms, iter_pcm

STAGE = "captions"
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MP3_BITRATE = 32_000
DEFAULT_CHUNK_SECONDS = 600.0
QUIET_SEARCH_SECONDS = 20.0     # look this far back from a chunk's nominal end for a pause to cut at
MAX_ATTEMPTS = 5
MAX_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class AudioChunk:
    """One upload: MP3 bytes holding the audio from `start` to `end` seconds of the recording."""

    index: int
    start: float
    end: float
    data: bytes

    @property
    def filename(self) -> str:
        return f"chunk-{self.index:03d}.mp3"


def make_openai_client(settings: Settings):
    """An OpenAI SDK client from settings; SDK retries are off because this module retries with backoff itself."""
    if settings.openai_api_key is None or not settings.openai_api_key.get_secret_value().strip():
        raise ConfigError("OPENAI_API_KEY", "not set; set it to use OpenAI speech-to-text, or leave it unset and "
                          "keep HANDOUTS_OFFLINE_ASR=true for offline recognition")
    from openai import OpenAI
    return OpenAI(api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url,
                  timeout=settings.openai_timeout, max_retries=0)


def encode_mp3(samples: np.ndarray) -> bytes:
    """Encode 16 kHz mono int16 PCM as a 32 kbit/s MP3 file, in memory."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=SAMPLE_RATE)
        stream.layout = "mono"
        stream.bit_rate = MP3_BITRATE
        step = 1152 * 8
        for at in range(0, len(samples), step):
            frame = av.AudioFrame.from_ndarray(samples[at:at + step].reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = at
            frame.time_base = Fraction(1, SAMPLE_RATE)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _quiet_cut(samples: np.ndarray, search: int) -> int:
    """Index at which to cut `samples`: the quietest 30 ms within its last `search` samples."""
    if search <= 0 or len(samples) <= search:
        return len(samples)
    tail = samples[len(samples) - search:]
    rms = frame_rms(tail)
    if len(rms) == 0:
        return len(samples)
    # Smooth over ~0.3 s so a cut lands in a pause, not between two syllables.
    smooth = np.convolve(rms, np.ones(10) / 10, mode="same")
    return len(samples) - search + int(np.argmin(smooth)) * 480 + 240


def audio_chunks(video: Path, *, chunk_seconds: float = DEFAULT_CHUNK_SECONDS) -> Iterator[AudioChunk]:
    """The audio track as MP3 chunks of about `chunk_seconds`, cut at quiet points; nothing if there is no audio."""
    # The upload limit bounds a chunk's length whatever the caller asks, with room for MP3 framing and for
    # the last chunk, which may run `search` past the target rather than leave a sliver of its own.
    chunk_seconds = min(chunk_seconds, MAX_UPLOAD_BYTES * 0.6 / (MP3_BITRATE / 8))
    target = int(chunk_seconds * SAMPLE_RATE)
    search = int(min(QUIET_SEARCH_SECONDS, chunk_seconds / 4) * SAMPLE_RATE)
    held: list[np.ndarray] = []
    held_n = 0
    start: float | None = None
    index = 0
    for pcm in iter_pcm(video, chunk_seconds=min(chunk_seconds, 5.0)):
        if start is None:
            start = pcm.start
        held.append(pcm.samples)
        held_n += len(pcm.samples)
        while held_n >= target + search:
            joined = np.concatenate(held)
            cut = _quiet_cut(joined[:target], search)
            head, rest = joined[:cut], joined[cut:]
            yield AudioChunk(index, start, start + len(head) / SAMPLE_RATE, encode_mp3(head))
            index += 1
            start += len(head) / SAMPLE_RATE
            held, held_n = [rest], len(rest)
    if held_n and start is not None:
        joined = np.concatenate(held)
        yield AudioChunk(index, start, start + len(joined) / SAMPLE_RATE, encode_mp3(joined))


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


def _is_transient(exc: BaseException) -> bool:
    """Timeouts, dropped connections, 408/409/429 (but not an exhausted quota) and 5xx are worth retrying."""
    import openai
    if isinstance(exc, openai.APIConnectionError):   # includes APITimeoutError
        return True
    status = _status(exc)
    if status == 429:
        return not _quota_exhausted(exc)
    return status is not None and (status in (408, 409) or status >= 500)


def _quota_exhausted(exc: BaseException) -> bool:
    body = getattr(exc, "body", None)
    code = body.get("code") if isinstance(body, dict) else None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
    return code == "insufficient_quota"


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except ValueError:
        return None   # an HTTP date: fall back to our own backoff
    return None


def _wait(state: RetryCallState) -> float:
    """Exponential backoff with full jitter, or the server's Retry-After when it gave one."""
    exc = state.outcome.exception() if state.outcome else None
    asked = retry_after_seconds(exc) if exc else None
    if asked is not None:
        return min(max(asked, 0.0), MAX_WAIT_SECONDS)
    return random.uniform(0, min(MAX_WAIT_SECONDS, 2.0 ** state.attempt_number))


def _fail(exc: BaseException, url: str, attempts: int) -> Exception:
    """The domain error for an OpenAI failure that retrying did not (or cannot) fix."""
    import openai
    status = _status(exc)
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return StageFailed(STAGE, f"OpenAI refused the API key ({status}): check OPENAI_API_KEY (and that the key's "
                           "project may use audio transcription), or unset it to use offline recognition",
                           retryable=False)
    if status == 429 and _quota_exhausted(exc):
        return StageFailed(STAGE, "OpenAI says the account behind OPENAI_API_KEY has no quota left: add credit "
                           "or use another key, or unset it to use offline recognition", retryable=False)
    if _is_transient(exc):
        what = f"answered {status}" if status else f"could not be reached ({type(exc).__name__})"
        return SourceUnavailable(url, f"OpenAI speech-to-text {what} after {attempts} tries; try again later",
                                 status=status, retryable=True)
    return StageFailed(STAGE, f"OpenAI speech-to-text rejected the request ({status}): "
                       f"{getattr(exc, 'message', exc)}", retryable=False)


def transcribe_chunk(client, chunk: AudioChunk, *, model: str, language: str | None = None,
                     max_attempts: int = MAX_ATTEMPTS, sleep: Callable[[float], None] | None = None) -> list[Cue]:
    """Send one chunk (retrying transient failures) and return its segments as cues on the recording's clock."""
    import openai
    kwargs = {"language": language} if language else {}
    retrying = Retrying(stop=stop_after_attempt(max_attempts), wait=_wait, retry=retry_if_exception(_is_transient),
                        reraise=True, **({"sleep": sleep} if sleep else {}))
    url = f"{str(client.base_url).rstrip('/')}/audio/transcriptions"
    try:
        result = retrying(client.audio.transcriptions.create, model=model,
                          file=(chunk.filename, chunk.data, "audio/mpeg"), response_format="verbose_json",
                          timestamp_granularities=["segment"], **kwargs)
    except openai.OpenAIError as e:
        raise _fail(e, url, max_attempts) from e
    cues = []
    for seg in getattr(result, "segments", None) or []:
        text = " ".join(str(seg.text).split())
        if not text:
            continue
        # A model may place a segment a little past the audio it was given; keep it inside the chunk.
        start = min(chunk.start + max(float(seg.start), 0.0), chunk.end)
        end = min(max(chunk.start + float(seg.end), start), chunk.end)
        cues.append(Cue(round(start, 3), round(end, 3), text))
    return cues


def transcribe_openai(video: Path, client, settings: Settings, *, duration: float | None = None,
                      chunk_seconds: float = DEFAULT_CHUNK_SECONDS, progress: Progress = no_progress,
                      cancel_check: CancelCheck = no_cancel, sleep: Callable[[float], None] | None = None,
                      max_attempts: int = MAX_ATTEMPTS) -> list[Cue]:
    """Caption cues for the whole audio track from OpenAI, chunk by chunk, timings offset to each chunk's start."""
    language = settings.caption_language if settings.caption_language not in ("", "auto") else None
    cues: list[Cue] = []
    for chunk in audio_chunks(video, chunk_seconds=chunk_seconds):
        cancel_check()
        cues.extend(transcribe_chunk(client, chunk, model=settings.openai_transcribe_model, language=language,
                                     max_attempts=max_attempts, sleep=sleep))
        if duration:
            progress(min(chunk.end / duration, 1.0), f"transcribed {chunk.end:.0f} s of {duration:.0f} s")
    cues.sort(key=lambda c: (c.start, c.end))
    return cues
