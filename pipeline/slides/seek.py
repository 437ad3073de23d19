"""Targeted decoding: frames in a short index range, seeking to the keyframe before it only when that is cheaper."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np

from .scan import Scan, open_video


_SKIP_MARGIN = 1    # frames


class Seeker:
    """Decodes requested frame ranges in time order, continuing from the last position when it can."""

    def __init__(self, video: Path, scan: Scan, frame_threads: bool = True) -> None:
        self.container, self.stream = open_video(video)
        if not frame_threads:
            # each seek drains the frame threads' pipeline and each short request leaves frames decoded ahead
            # for nothing: many short requests cost less CPU without them
            self.stream.thread_type = "SLICE"
        self.scan = scan
        self.keys = np.flatnonzero(scan.key)
        self.pos = -1
        self.decoded = 0
        self.want = 0           # first frame index the current request needs
        # called with (index, frame) for each frame decoded on the way to a request but not asked for
        self.passed: Callable[[int, av.VideoFrame], None] | None = None
        self._frames: Iterator[av.VideoFrame] | None = None

    def close(self) -> None:
        """Release the file."""
        self.container.close()

    def keyframe_before(self, idx: int) -> int:
        """Index of the last keyframe at or before frame idx (0 when there is none)."""
        at = int(np.searchsorted(self.keys, idx, side="right")) - 1
        return int(self.keys[at]) if at >= 0 else 0

    def _decode(self) -> Iterator[av.VideoFrame]:
        cc = self.stream.codec_context
        for packet in self.container.demux(self.stream):
            if packet.pts is not None:
                # frames before the wanted range are only passed through: skip the ones nothing refers to
                # (B-frames), about half of the decoding; the packet's own time says where its picture goes,
                # so only a frame before the range is ever skipped (the margin guards the pts-to-index rounding)
                skip = self.scan.index_of(packet.pts) < self.want - _SKIP_MARGIN
                cc.skip_frame = "NONREF" if skip else "DEFAULT"
            try:
                yield from packet.decode()
            except av.error.FFmpegError:
                continue     # one damaged packet costs a few frames, not the whole job

    def frames(self, first: int, last: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Yield (frame index, frame) for every decodable frame with index in [first, last]."""
        first, last = max(0, first), min(self.scan.count - 1, last)
        self.want = first
        key = self.keyframe_before(first)
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
                if self.passed is not None:
                    self.passed(idx, frame)
                continue
            yield idx, frame
            if idx >= last:
                return
        self._frames = None
