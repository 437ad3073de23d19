"""Caption tracks carried inside the video file (mov_text in MP4, SubRip/WebVTT/ASS in Matroska)."""

from __future__ import annotations

from pathlib import Path

import av

from ..errors import CorruptMedia
from ..types import Cue
from .subtitles import clean_cue_text

TEXT_SUBTITLE_CODECS = {"mov_text", "subrip", "srt", "webvtt", "ass", "ssa", "text"}
_DEFAULT_SECONDS = 3.0   # a packet without a duration is shown until the next one, or this long at most


def _text_of(packet: av.Packet) -> str:
    """The plain text of one subtitle packet, decoded by FFmpeg so every codec yields the same ASS dialogue."""
    parts = []
    for sub in packet.decode():
        text = getattr(sub, "dialogue", None) or getattr(sub, "text", None) or b""
        parts.append(text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text))
    return clean_cue_text(" ".join(parts))


def extract_embedded(video: Path) -> list[Cue]:
    """Cues of the first text subtitle stream, sorted by start; [] when the file has none."""
    video = Path(video)
    try:
        container = av.open(str(video))
    except av.FFmpegError as e:
        raise CorruptMedia(str(video), f"cannot open {video.name} to read its caption track: {e}") from None
    with container:
        stream = next((s for s in container.streams.subtitles
                       if s.codec_context.name in TEXT_SUBTITLE_CODECS), None)
        if stream is None:
            return []
        timed: list[tuple[float, float | None, str]] = []
        try:
            # Demuxing only this stream skips decoding every video and audio packet: seconds for an hour.
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                text = _text_of(packet)
                if not text:   # mov_text writes empty packets to clear the screen between cues
                    continue
                start = float(packet.pts * packet.time_base)
                duration = float(packet.duration * packet.time_base) if packet.duration else None
                timed.append((start, duration, text))
        except av.FFmpegError as e:
            raise CorruptMedia(str(video), f"the caption track of {video.name} cannot be read: {e}") from None
    timed.sort(key=lambda t: t[0])
    cues = []
    for i, (start, duration, text) in enumerate(timed):
        if duration is None:
            following = timed[i + 1][0] if i + 1 < len(timed) else start + _DEFAULT_SECONDS
            duration = min(max(following - start, 0.0), _DEFAULT_SECONDS)
        cues.append(Cue(round(start, 3), round(start + duration, 3), text))
    return cues
