"""Targeted decoding: frames in a short index range, seeking to the keyframe before it only when that is cheaper."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import av

from .scan import Scan, open_video


class Seeker:
    """Decodes requested frame ranges in time order, continuing from the last position when it can."""

    def __init__(self, video: Path, scan: Scan) -> None:
        self.container, self.stream = open_video(video)
        self.scan = scan
        self.pos = -1
        self.decoded = 0
        self._frames: Iterator[av.VideoFrame] | None = None

    def close(self) -> None:
        """Release the file."""
        self.container.close()

    def _keyframe_before(self, idx: int) -> int:
        k = idx
        while k > 0 and not self.scan.key[k]:
            k -= 1
        return k

    def _decode(self) -> Iterator[av.VideoFrame]:
        for packet in self.container.demux(self.stream):
            try:
                yield from packet.decode()
            except av.error.FFmpegError:
                continue     # one damaged packet costs a few frames, not the whole job

    def frames(self, first: int, last: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Yield (frame index, frame) for every decodable frame with index in [first, last]."""
        first, last = max(0, first), min(self.scan.count - 1, last)
        key = self._keyframe_before(first)
        if self._frames is None or first <= self.pos or key > self.pos:
            # jumping forward to a keyframe (or back) beats decoding everything in between
            self.container.seek(int(self.scan.pts[key]), stream=self.stream, backward=True, any_frame=False)
            self._frames = self._decode()
            self.pos = -1
        for frame in self._frames:
            if frame.pts is None:
                continue
            idx = self.scan.index_of(frame.pts)
            self.decoded += 1
            self.pos = idx
            if idx < first:
                continue
            yield idx, frame
            if idx >= last:
                return
        self._frames = None
