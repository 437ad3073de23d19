"""The audio track as 16 kHz mono 16-bit PCM, streamed in chunks so a three-hour lecture never sits in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..errors import CorruptMedia

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class PcmChunk:
    """`samples` (int16, mono, 16 kHz) starting `start` seconds into the recording."""

    start: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / SAMPLE_RATE


def has_audio(video: Path) -> bool:
    """True when the file has at least one audio stream."""
    try:
        with av.open(str(video)) as c:
            return bool(c.streams.audio)
    except av.FFmpegError as e:
        raise CorruptMedia(str(video), f"cannot open {Path(video).name} to read its audio: {e}") from None


def iter_pcm(video: Path, *, chunk_seconds: float = 1.0, start: float = 0.0) -> Iterator[PcmChunk]:
    """Yield the first audio track as PcmChunks of `chunk_seconds` (the last may be shorter); none if no audio."""
    video = Path(video)
    want = max(1, int(chunk_seconds * SAMPLE_RATE))
    try:
        container = av.open(str(video))
    except av.FFmpegError as e:
        raise CorruptMedia(str(video), f"cannot open {video.name} to read its audio: {e}") from None
    with container:
        if not container.streams.audio:
            return
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        if start > 0:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_n = 0
        t0: float | None = None   # time of the first sample still pending
        emitted = 0               # samples yielded so far; the clock of the PCM stream
        skip = 0

        def frames():
            try:
                for packet in container.demux(stream):
                    for frame in packet.decode():
                        yield frame
            except av.FFmpegError as e:
                raise CorruptMedia(str(video), f"the audio of {video.name} cannot be decoded past "
                                   f"{(t0 or 0) + pending_n / SAMPLE_RATE:.1f} s: {e}") from None
            yield None  # flush the resampler

        for frame in frames():
            if t0 is None and frame is not None:
                t0 = max(0.0, float(frame.time or 0.0))
                skip = round((start - t0) * SAMPLE_RATE) if start > t0 else 0   # a seek lands before `start`
                t0 = max(t0, start)
            for out in resampler.resample(frame):
                pcm = out.to_ndarray().reshape(-1)
                if skip > 0:
                    cut = min(skip, len(pcm))
                    pcm, skip = pcm[cut:], skip - cut
                if not len(pcm):
                    continue
                pending.append(pcm)
                pending_n += len(pcm)
                while pending_n >= want:
                    joined = np.concatenate(pending)
                    yield PcmChunk(t0 + emitted / SAMPLE_RATE, joined[:want])
                    emitted += want
                    rest = joined[want:]
                    pending, pending_n = ([rest] if len(rest) else []), len(rest)
        if pending_n and t0 is not None:
            yield PcmChunk(t0 + emitted / SAMPLE_RATE, np.concatenate(pending))


def frame_rms(samples: np.ndarray, frame: int = 480) -> np.ndarray:
    """RMS loudness (0..1) of consecutive `frame`-sample windows (30 ms at 16 kHz)."""
    n = len(samples) // frame
    if n == 0:
        return np.zeros(0)
    x = samples[: n * frame].astype(np.float32).reshape(n, frame) / 32768.0
    return np.sqrt((x * x).mean(axis=1))


def looks_like_speech(samples: np.ndarray, *, min_rms: float = 0.003) -> bool:
    """Cheap check that a stretch of PCM could hold speech: loud enough and with a syllable-like rhythm.

    Silence is too quiet; a steady tone or hum has a flat loudness envelope, while speech rises and
    falls several times a second, so the envelope's spread relative to its mean is large.
    """
    rms = frame_rms(samples)
    if len(rms) < 5 or float(rms.max(initial=0.0)) < min_rms:
        return False
    loud = rms[rms >= min_rms]
    return float(rms.std() / (rms.mean() + 1e-9)) > 0.35 and len(loud) >= 3


def has_speech_energy(video: Path, *, window_seconds: float = 10.0, max_windows: int | None = None) -> bool:
    """True when some stretch of audio looks like speech (silence and tones do not); stops at the first one."""
    for i, chunk in enumerate(iter_pcm(video, chunk_seconds=window_seconds)):
        if looks_like_speech(chunk.samples):
            return True
        if max_windows is not None and i + 1 >= max_windows:
            break
    return False
