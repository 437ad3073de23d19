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


# An ASS script header: FFmpeg's text subtitle encoders (mov_text, subrip, webvtt) read their styles from it.
_ASS_HEADER = (
    "[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    "MarginR, MarginV, Encoding\n"
    "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
).encode()


def _add_video_stream(out, size: tuple[int, int], fps: int):
    vs = out.add_stream("libx264", rate=fps)
    vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
    vs.options = {"preset": "ultrafast"}
    return vs


def _encode_solid_frames(out, vs, n_frames: int, fps: int, colour: tuple[int, int, int]) -> None:
    img = np.empty((vs.height, vs.width, 3), np.uint8)
    img[:] = colour
    for i in range(n_frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        frame.time_base = Fraction(1, fps)
        for p in vs.encode(frame):
            out.mux(p)
    for p in vs.encode():
        out.mux(p)


def make_clip_with_subtitles(path: Path, cues: Sequence[tuple[float, float, str]], *, codec: str = "mov_text",
                             seconds: float = 3.0, size: tuple[int, int] = (160, 90), fps: int = 5,
                             container: str | None = None) -> Path:
    """Write a silent clip with one text subtitle track (mov_text in MP4; subrip/webvtt/ass in MKV).

    Cue text is ASS dialogue text: `\\N` breaks a line, `{\\i1}` starts italics.
    """
    path = Path(path)
    fmt = container or ("mp4" if codec == "mov_text" else "matroska")
    with av.open(str(path), "w", format=fmt) as out:
        vs = _add_video_stream(out, size, fps)
        ss = out.add_stream(codec)
        ss.codec_context.subtitle_header = _ASS_HEADER
        ss.time_base = Fraction(1, 1000)
        ss.codec_context.time_base = Fraction(1, 1000)
        out.start_encoding()
        _encode_solid_frames(out, vs, int(round(seconds * fps)), fps, (200, 200, 200))
        tb = ss.time_base
        for i, (start, end, text) in enumerate(sorted(cues)):   # a muxer takes packets in time order only
            pts, dur = int(round(start / tb)), int(round((end - start) / tb))
            sub = av.subtitles.subtitle.SubtitleSet.create(f"{i},0,Default,,0,0,0,,{text}".encode(), 0, dur, pts)
            packet = ss.codec_context.encode_subtitle(sub)
            packet.stream = ss
            packet.pts = packet.dts = pts
            packet.duration = dur
            packet.time_base = tb
            out.mux(packet)
    return path


def make_clip_with_audio(path: Path, audio_source: Path, *, size: tuple[int, int] = (160, 90), fps: int = 5,
                         colour: tuple[int, int, int] = (240, 240, 240)) -> Path:
    """Write a clip (H.264 + AAC) as long as `audio_source`, whose sound it carries re-encoded: e.g. real speech."""
    path = Path(path)
    with av.open(str(audio_source)) as src:
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=16000)
        pcm = [f.to_ndarray().reshape(-1) for fr in src.decode(audio=0) for f in resampler.resample(fr)]
        pcm += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    samples = np.concatenate(pcm).astype(np.float32)
    seconds = len(samples) / 16000
    with av.open(str(path), "w") as out:
        vs = _add_video_stream(out, size, fps)
        aus = out.add_stream("aac", rate=16000)
        aus.layout = "mono"
        _encode_solid_frames(out, vs, int(seconds * fps), fps, colour)
        step = 1024
        for start in range(0, len(samples), step):
            frame = av.AudioFrame.from_ndarray(samples[start:start + step].reshape(1, -1), format="fltp",
                                               layout="mono")
            frame.sample_rate = 16000
            frame.pts = start
            frame.time_base = Fraction(1, 16000)
            for p in aus.encode(frame):
                out.mux(p)
        for p in aus.encode():
            out.mux(p)
    return path
