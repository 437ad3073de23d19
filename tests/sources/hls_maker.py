"""Small HLS streams for tests: one continuous encode cut into TS segments by PyAV's hls muxer."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_hls(folder: Path, *, seconds: int = 6, segment_seconds: int = 2, size: tuple[int, int] = (160, 90),
             fps: int = 10, name: str = "index", fmp4: bool = False) -> Path:
    """Write `<name>.m3u8` and `<name>N.ts` segments (a keyframe starts each segment); returns the playlist path.

    With `fmp4`, segments are fragmented MP4 (`<name>N.m4s`) after an init section `<name>_init.mp4`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / f"{name}.m3u8"
    w, h = size
    sr = 16000
    opts = {"hls_time": str(segment_seconds), "hls_list_size": "0", "hls_playlist_type": "vod",
            "hls_segment_filename": str(folder / f"{name}%d.{'m4s' if fmp4 else 'ts'}")}
    if fmp4:
        opts.update(hls_segment_type="fmp4", hls_fmp4_init_filename=f"{name}_init.mp4")
    with av.open(str(playlist), "w", format="hls", options=opts) as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        gop = str(fps * segment_seconds)
        vs.options = {"preset": "ultrafast", "g": gop, "keyint_min": gop, "sc_threshold": "0"}
        aus = out.add_stream("aac", rate=sr)
        aus.layout = "mono"
        t = np.arange(sr * seconds) / sr
        pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
        per_frame = sr // fps
        for i in range(fps * seconds):
            img = np.full((h, w, 3), (i * 4) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for p in vs.encode(frame):
                out.mux(p)
            chunk = pcm[i * per_frame:(i + 1) * per_frame].reshape(1, -1)
            af = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            af.sample_rate, af.pts, af.time_base = sr, i * per_frame, Fraction(1, sr)
            for p in aus.encode(af):
                out.mux(p)
        for stream in (vs, aus):
            for p in stream.encode():
                out.mux(p)
    return playlist
