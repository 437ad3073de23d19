"""Small media files made on the spot for tests: coloured frames, a tone, silence, captions."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import av
import numpy as np


def _add_video_stream(out, size: tuple[int, int], fps: int):
    vs = out.add_stream("libx264", rate=fps)
    vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
    vs.options = {"preset": "ultrafast"}
    return vs


def _encode_frames(out, vs, n_frames: int, fps: int, colour_at: Callable[[int], tuple[int, int, int]]) -> None:
    """Encode `n_frames` solid frames, frame i filled with `colour_at(i)`, and flush the encoder."""
    img = np.empty((vs.height, vs.width, 3), np.uint8)
    for i in range(n_frames):
        img[:] = colour_at(i)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        frame.time_base = Fraction(1, fps)
        for p in vs.encode(frame):
            out.mux(p)
    for p in vs.encode():
        out.mux(p)


def _encode_mono(out, stream, samples: np.ndarray, rate: int, fmt: str) -> None:
    """Encode mono samples (s16 or fltp) in 1024-sample frames and flush the encoder."""
    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[start:start + 1024].reshape(1, -1), format=fmt, layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for p in stream.encode(frame):
            out.mux(p)
    for p in stream.encode():
        out.mux(p)


def make_clip(path: Path, *, seconds: float = 3.0, size: tuple[int, int] = (320, 180), fps: int = 10,
              colours: Sequence[tuple[int, int, int]] = ((30, 60, 200),), audio: str | None = "tone",
              video: bool = True, sample_rate: int = 16000, container: str | None = None) -> Path:
    """Write a clip: solid colours (changing every seconds/len(colours)), with a 440 Hz tone, silence or no audio."""
    path = Path(path)
    each = seconds / max(len(colours), 1)
    with av.open(str(path), "w", format=container) as out:
        vs = _add_video_stream(out, size, fps) if video else None
        as_ = None
        if audio:
            as_ = out.add_stream("aac", rate=sample_rate)
            as_.layout = "mono"
        if vs is not None:
            _encode_frames(out, vs, int(round(seconds * fps)), fps,
                           lambda i: colours[min(int(i / fps / each), len(colours) - 1)])
        if as_ is not None:
            total = int(seconds * sample_rate)
            t = np.arange(total) / sample_rate
            wave = (0.3 * np.sin(2 * np.pi * 440 * t)) if audio == "tone" else np.zeros(total)
            _encode_mono(out, as_, (wave * 32767).astype(np.int16), sample_rate, "s16")
    return path


def write_srt(path: Path, cues: Sequence[tuple[float, float, str]]) -> Path:
    """Write (start, end, text) triples as an SRT file."""
    from pipeline.captions.subtitles import write_srt as write_cues
    from pipeline.types import Cue

    return write_cues([Cue(a, b, text) for a, b, text in cues], path)


# An ASS script header: FFmpeg's text subtitle encoders (mov_text, subrip, webvtt) read their styles from it.
_ASS_HEADER = (
    "[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    "MarginR, MarginV, Encoding\n"
    "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
).encode()


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
        _encode_frames(out, vs, int(round(seconds * fps)), fps, lambda _i: (200, 200, 200))
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
        _encode_frames(out, vs, int(seconds * fps), fps, lambda _i: colour)
        _encode_mono(out, aus, samples, 16000, "fltp")
    return path
