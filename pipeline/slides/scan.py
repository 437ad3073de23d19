"""The cheap pass: demux every packet (sizes are free) and decode only keyframes into small gray thumbnails.

Decoding every frame of a 720p H.264 file runs at only ~100x real time on two cores, while demuxing runs at
thousands and a keyframe alone decodes in a few milliseconds; so one pass records each frame's time, packet
size and keyframe flag, and sends just some keyframe packets to the decoder:

- every keyframe that comes early (an encoder's scene cut: in a slide video that is nearly always a slide
  change, coded as a picture of its own with no packet spike to give it away);
- the regular ones at most one per `min_scan_gap` (a file with a keyframe every half second would otherwise
  decode a picture every half second);
- after a few dozen of them, spread over the file, also the next ~0.6 s of frames: pairs of pictures that
  close in time show what moves by itself (a speaker box), which the volatile mask learns from.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from ..errors import CorruptMedia, NoVideoStream, SourceNotFound
from ..types import CancelCheck, Progress
from .options import SlideOptions
from .room import straight_thumbnail

MAX_THUMBS = 4000   # x 14.4 KB per 160x90 thumbnail = under 60 MB
MAX_THUMB_BYTES = 60_000_000   # ... and the same bound for larger thumbnails (a room camera's 320x180: 1,041)
NEAR_SAMPLES = 48   # keyframes followed by a short run of decoded frames, for the volatile mask
NEAR_SECONDS = 0.6  # length of that run
_MIN_EARLY_GAP = 0.5  # seconds: two slide changes closer than this are one change (detect._MIN_SHOWING)


@dataclass
class Scan:
    """Per-frame facts in presentation order, plus thumbnails of the scanned keyframes."""

    pts: np.ndarray              # int64, sorted
    times: np.ndarray            # seconds from the first frame
    sizes: np.ndarray            # packet bytes
    key: np.ndarray              # bool, keyframe flag from the container
    duration: float
    width: int
    height: int
    reordered: bool = False      # packets arrive out of presentation order: the stream has B-frames
    thumbs: dict[int, np.ndarray] = field(default_factory=dict)   # frame index -> gray thumbnail
    near: dict[int, np.ndarray] = field(default_factory=dict)     # frames just after sampled keyframes

    @property
    def count(self) -> int:
        return len(self.pts)

    def scene_cuts(self) -> np.ndarray:
        """Bool per frame: a keyframe that came before the regular interval (the encoder saw a new picture)."""
        keys = np.flatnonzero(self.key)
        cuts = np.zeros(self.count, bool)
        if len(keys) > 2:
            gaps = np.diff(keys)
            cuts[keys[1:][gaps < 0.9 * gaps.max()]] = True
        return cuts

    def index_of(self, pts: int) -> int:
        """Frame index of a presentation timestamp (the nearest one at or before it)."""
        return max(0, int(np.searchsorted(self.pts, pts, side="right")) - 1)


def max_thumbs(opts: SlideOptions) -> int:
    """Keyframe thumbnails the scan keeps at most: MAX_THUMBS, fewer when each is larger than 160x90."""
    w, h = opts.thumb_size
    return max(1, min(MAX_THUMBS, MAX_THUMB_BYTES // max(1, w * h)))


def thumbnail(frame: av.VideoFrame, opts: SlideOptions) -> np.ndarray:
    """A small gray picture of a frame (area average of the luma plane) for comparisons."""
    # numpy block sums over the Y plane: several times faster than a fresh swscale context per frame
    w, h = opts.thumb_size
    plane = frame.planes[0]
    fw, fh = frame.width, frame.height
    if frame.format.name not in _PLANAR_YUV:
        if opts.screen is not None:
            gray = frame.reformat(format="gray")
            return straight_thumbnail(np.frombuffer(gray.planes[0], np.uint8), gray.planes[0].line_size, fw, fh, opts)
        return frame.reformat(width=w, height=h, format="gray", interpolation="AREA").to_ndarray()
    if opts.screen is not None:
        return straight_thumbnail(np.frombuffer(plane, np.uint8), plane.line_size, fw, fh, opts)
    y = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:fh, :fw]
    step = max(1, min(fh // (2 * h), fw // (2 * w)))
    if step > 1:
        y = y[::step, ::step]
    rows = np.linspace(0, y.shape[0], h + 1).astype(np.int64)
    cols = np.linspace(0, y.shape[1], w + 1).astype(np.int64)
    sums = np.add.reduceat(np.add.reduceat(y, rows[:-1], axis=0, dtype=np.uint32), cols[:-1], axis=1)
    counts = np.outer(np.diff(rows), np.diff(cols))
    return (sums // counts).astype(np.uint8)


_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21"}


def open_video(video: Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """Open a file and its first video stream, mapping failures onto the domain errors."""
    if not Path(video).exists():
        raise SourceNotFound(str(video), f"{video} does not exist; check the path of the recording")
    try:
        container = av.open(str(video))
    except (av.error.InvalidDataError, av.error.FFmpegError) as e:
        raise CorruptMedia(str(video), f"{video} cannot be read as a video ({getattr(e, 'strerror', e)}): it is "
                           "damaged, truncated or not a media file; export or download the recording again") from None
    if not container.streams.video:
        container.close()
        raise NoVideoStream(str(video))
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return container, stream


def scan_video(video: Path, opts: SlideOptions, progress: Progress, cancel_check: CancelCheck) -> Scan:
    """Demux the whole video stream and decode spaced keyframes into thumbnails."""
    container, stream = open_video(video)
    try:
        return _scan(video, container, stream, opts, progress, cancel_check)
    finally:
        container.close()


def _scan(video, container, stream, opts, progress, cancel_check) -> Scan:
    tb = float(stream.time_base)
    total = float(container.duration or 0) / 1e6 or float((stream.duration or 0) * tb) or 0.0
    # compact arrays, not lists of Python ints: a 10-hour 30 fps recording has a million packets
    pts_l, size_l, key_l = array("q"), array("q"), array("b")
    thumbs_by_pts: dict[int, np.ndarray] = {}
    near_by_pts: dict[int, np.ndarray] = {}
    key_pts: set[int] = set()
    last_scanned = last_key = last_sampled = None
    longest_gop = 0
    decode_errors = 0
    follow = 0          # packets still to decode after a sampled keyframe
    cc = stream.codec_context
    fps = float(stream.average_rate or 25)
    # never more than MAX_THUMBS keyframe thumbnails, so memory stays flat however long the lecture
    cap = max_thumbs(opts)
    gap = int(max(opts.min_scan_gap, total / cap) / tb) if tb else 0
    early_gap = int(max(_MIN_EARLY_GAP, total / cap) / tb) if tb else 0
    sample_gap = int(total / NEAR_SAMPLES / tb) if tb else 0
    run = max(3, round(NEAR_SECONDS * fps))

    def decode(packet, into):
        nonlocal decode_errors
        try:
            for frame in cc.decode(packet):
                # with frame threads a frame can come out a few packets late: its pts says which it is
                (thumbs_by_pts if frame.pts in key_pts else into)[frame.pts] = thumbnail(frame, opts)
        except av.error.FFmpegError:
            decode_errors += 1

    try:
        for n, packet in enumerate(container.demux(stream)):
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None or packet.size == 0:
                continue
            pts_l.append(ts)
            size_l.append(packet.size)
            key_l.append(1 if packet.is_keyframe else 0)
            if packet.is_keyframe:
                follow = 0
                early = last_key is None or ts - last_key < 0.9 * longest_gop or longest_gop == 0
                if last_key is not None:
                    longest_gop = max(longest_gop, ts - last_key)
                last_key = ts
                since = None if last_scanned is None else ts - last_scanned
                if since is None or since >= gap or (early and since >= early_gap):
                    last_scanned = ts
                    key_pts.add(ts)
                    decode(packet, near_by_pts)
                    if last_sampled is None or ts - last_sampled >= sample_gap:
                        last_sampled, follow = ts, run
            elif follow:
                follow -= 1
                decode(packet, near_by_pts)
            if n % 2000 == 0:
                cancel_check()
                if total > 0:
                    progress(min(0.6, 0.6 * ts * tb / total), "scanning keyframes")
        decode(None, near_by_pts)
    except av.error.FFmpegError as e:
        if not pts_l:
            raise CorruptMedia(str(video), f"{video}: the video stream cannot be read ({e.strerror}); "
                               "the file is damaged or truncated: download or export it again") from None
    if not pts_l:
        raise CorruptMedia(str(video), f"{video}: the video stream holds no pictures; the file is damaged: "
                           "export it again")
    pts = np.frombuffer(pts_l, dtype=np.int64)
    order = np.argsort(pts, kind="stable")
    pts = pts[order]
    sizes = np.frombuffer(size_l, dtype=np.int64)[order]
    key = np.frombuffer(key_l, dtype=np.int8)[order].astype(bool)
    times = (pts - pts[0]) * tb
    step = float(np.median(np.diff(times))) if len(times) > 1 else (1 / float(stream.average_rate or 25))
    scan = Scan(pts, times, sizes, key, float(times[-1] + step), stream.codec_context.width,
                stream.codec_context.height, reordered=bool(np.any(np.diff(order) < 0)))
    for p, thumb in thumbs_by_pts.items():
        if p is not None:
            scan.thumbs[scan.index_of(p)] = thumb
    if not scan.thumbs:
        raise CorruptMedia(str(video), f"{video}: no picture in the video stream could be decoded "
                           f"({decode_errors} bad keyframes); the file is damaged: export it again")
    for p, thumb in near_by_pts.items():
        if p is not None and scan.index_of(p) not in scan.thumbs:
            scan.near[scan.index_of(p)] = thumb
    progress(0.6, "keyframes scanned")
    return scan
