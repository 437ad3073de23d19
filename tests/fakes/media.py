"""Small media files made on the spot for tests: coloured frames, a tone, silence, captions."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import numpy as np


def _frame_colour(i: int, fps: int, colours: Sequence[tuple[int, int, int]], seconds_each: float) -> tuple[int, int, int]:
    return colours[min(int(i / fps / seconds_each), len(colours) - 1)]


def make_clip(path: Path, *, seconds: float = 3.0, size: tuple[int, int] = (320, 180), fps: int = 10,
              colours: Sequence[tuple[int, int, int]] = ((30, 60, 200),), audio: str | None = "tone",
              video: bool = True, sample_rate: int = 16000, container: str | None = None) -> Path:
    """Write a clip: solid colours (changing every seconds/len(colours)), with a 440 Hz tone, silence or no audio."""
    path = Path(path)
    w, h = size
    n_frames = int(round(seconds * fps))
    with av.open(str(path), "w", format=container) as out:
        vs = None
        if video:
            vs = out.add_stream("libx264", rate=fps)
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
            vs.options = {"preset": "ultrafast"}
        as_ = None
        if audio:
            as_ = out.add_stream("aac", rate=sample_rate)
            as_.layout = "mono"
        each = seconds / max(len(colours), 1)
        if vs is not None:
            for i in range(n_frames):
                img = np.empty((h, w, 3), np.uint8)
                img[:] = _frame_colour(i, fps, colours, each)
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                for p in vs.encode(frame):
                    out.mux(p)
            for p in vs.encode():
                out.mux(p)
        if as_ is not None:
            total = int(seconds * sample_rate)
            t = np.arange(total) / sample_rate
            wave = (0.3 * np.sin(2 * np.pi * 440 * t)) if audio == "tone" else np.zeros(total)
            pcm = (wave * 32767).astype(np.int16)
            step = 1024
            for start in range(0, total, step):
                chunk = pcm[start:start + step].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
                frame.sample_rate = sample_rate
                frame.pts = start
                frame.time_base = Fraction(1, sample_rate)
                for p in as_.encode(frame):
                    out.mux(p)
            for p in as_.encode():
                out.mux(p)
    return path


def write_srt(path: Path, cues: Sequence[tuple[float, float, str]]) -> Path:
    """Write (start, end, text) triples as an SRT file."""
    def ts(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
    blocks = [f"{i}\n{ts(a)} --> {ts(b)}\n{text}\n" for i, (a, b, text) in enumerate(cues, 1)]
    Path(path).write_text("\n".join(blocks), encoding="utf-8")
    return Path(path)
