"""Find every distinct slide of a lecture video: keyframe scan, packet-size spikes, targeted decode.

1. scan (scan.py): demux all packets (time, size, keyframe flag), decode spaced keyframes into thumbnails;
2. spikes (spikes.py): runs of packets far larger than their neighbours mark where the picture changed;
3. walk consecutive keyframes; where their thumbnails show a different slide (compare.py):
   - one whole-screen spike in between: the change is on that spike (a cut on its first large packet, a
     fade at its byte-weighted middle) and only the old slide's last picture is decoded;
   - otherwise (several spikes, or none): decode the frames around the spikes, or the GOP that holds the
     change, and put each change at the first frame nearer the new slide than the old (seek.py);
   two strong spikes between keyframes that look alike (a quick visit to another slide) are decoded too;
4. each change closes a showing; its last picture becomes its slide's image (album.py), matched against
   earlier slides to recognise returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..types import CancelCheck, Progress, Showing, no_cancel, no_progress
from .album import Album
from .compare import Change, compare, distance, volatile_mask
from .options import SlideOptions
from .scan import Scan, scan_video, thumbnail
from .seek import Seeker
from .spikes import Spike, find_spikes


_MIN_SHOWING = 0.5  # seconds: no real slide is shown for less
_MAX_MOVING = 240   # thumbnails kept while the picture is in motion (about 3.5 MB)


@dataclass
class _Found:
    """A confirmed slide change: the new slide starts at frame `idx`; `before` is the old slide's last picture."""

    idx: int
    before: np.ndarray
    frame: av.VideoFrame


def detect_slides(video: Path, out_dir: Path, *, progress: Progress = no_progress,
                  cancel_check: CancelCheck = no_cancel, options: SlideOptions | None = None) -> list[Showing]:
    """Write one PNG per distinct slide into out_dir and return the showings covering the whole video."""
    opts = options or SlideOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scan = scan_video(Path(video), opts, progress, cancel_check)
    mask = volatile_mask((scan.thumbs[k] for k in sorted(scan.thumbs)), opts)
    spikes = find_spikes(scan, opts)
    finder = _Finder(Path(video), out_dir, scan, mask, spikes, opts, progress, cancel_check)
    try:
        showings = finder.run()
    finally:
        finder.seeker.close()
        finder.album.wait()
    progress(1.0, f"{len(finder.album.slides)} slides found")
    return showings


class _Finder:
    PRE = 6      # frames before a spike's first packet: B-frames put the visible change up to 3-4 frames earlier
    POST = 4

    def __init__(self, video, out_dir, scan: Scan, mask, spikes: list[Spike], opts: SlideOptions,
                 progress: Progress, cancel_check: CancelCheck) -> None:
        self.out_dir, self.scan, self.mask, self.spikes, self.opts = out_dir, scan, mask, spikes, opts
        self.progress, self.cancel_check = progress, cancel_check
        self.seeker = Seeker(video, scan)
        self.album = Album(out_dir, mask, opts)
        keys = np.flatnonzero(scan.key)
        self.regular_gap = int(np.median(np.diff(keys))) if len(keys) > 1 else scan.count
        self.start = 0.0

    # -- the walk over keyframe intervals ------------------------------------------------------------
    def run(self) -> list[Showing]:
        scan = self.scan
        thumbs = dict(scan.thumbs)
        last = scan.count - 1
        if 0 not in thumbs or last not in thumbs:
            for idx in sorted({0, last} - set(thumbs)):
                for i, frame in self.seeker.frames(idx, idx):
                    thumbs[idx] = thumbnail(frame, self.opts)
        keys = sorted(thumbs)
        state_idx, state = keys[0], thumbs[keys[0]]
        si = 0
        for n, b in enumerate(keys[1:], 1):
            self.cancel_check()
            if n % 16 == 0:
                self.progress(0.6 + 0.38 * b / max(1, last), "locating slide changes")
            if b <= state_idx:
                continue
            while si < len(self.spikes) and self.spikes[si].first <= state_idx:
                si += 1
            inside = []
            while si < len(self.spikes) and self.spikes[si].first <= b:
                inside.append(self.spikes[si])
                si += 1
            kind = compare(state, thumbs[b], self.mask, self.opts).kind
            strong = [s for s in inside if s.strong]
            if kind is Change.NEW and len(strong) == 1 and not self.opts.refine:
                # one whole-screen spike between a keyframe and a different slide: the change is there
                spike = strong[0]
                self._spike_change(state_idx, spike)
                state_idx, state = b, thumbs[b]
                if spike.last + self.POST > b:
                    # a fade running past keyframe b: b shows a blend, so compare onwards from after the fade
                    after = self._thumb_at(spike.last + self.POST)
                    if after is not None:
                        state_idx, state = spike.last + self.POST, after
                continue
            if kind is Change.NEW or len(strong) >= 2:
                state_idx, state = self._check_spikes(state_idx, state, inside)
                if b > state_idx and compare(state, thumbs[b], self.mask, self.opts).kind is Change.NEW:
                    self._fallback(state_idx, state, b, thumbs[b])
            if b > state_idx:
                state_idx, state = b, thumbs[b]
        self._finish()
        return self.album.showings

    def _check_spikes(self, state_idx: int, state: np.ndarray, spikes: list[Spike]) -> tuple[int, np.ndarray]:
        """Decode a short window around each spike and record the changes of slide in it."""
        for s in spikes:
            lo = max(state_idx + 1, s.first - self.PRE)
            if lo > s.last + self.POST:
                continue
            # a keyframe the scan skipped may hold a change (an encoder scene cut) before this window
            for k in np.flatnonzero(self.scan.key[state_idx + 1:lo + 1]) + state_idx + 1:
                t = self._thumb_at(int(k))
                if t is not None and compare(state, t, self.mask, self.opts).kind is not Change.SAME:
                    if compare(state, t, self.mask, self.opts).kind is Change.NEW:
                        self._fallback(state_idx, state, int(k), t)
                    state_idx, state = int(k), t
            state_idx, state = self._walk(max(lo, state_idx), state, s.last + self.POST)
        return state_idx, state

    def _spike_change(self, lo: int, spike: Spike) -> None:
        """Place a change on a spike without decoding it; decode only the old slide's last picture."""
        sizes = self.scan.sizes[spike.first:spike.last + 1].astype(float)
        if sizes[0] >= 0.5 * sizes.max():
            # a cut: the first large packet carries the new slide (the encoder refines it over the next few);
            # with B-frames the visible change can sit a frame or two before that packet
            at = spike.first - 1 if self.scan.reordered else spike.first
        else:
            # a fade: the bytes are spread over the blend, centred on its middle
            at = spike.first + int(round(float((np.arange(len(sizes)) * sizes).sum() / sizes.sum())))
        at = max(lo + 1, at)
        builds = any(lo < s.first < spike.first for s in self.spikes)
        pick = max(lo, spike.first - self.PRE) if builds else lo
        for _, frame in self.seeker.frames(pick, pick):
            self._change(_Found(at, thumbnail(frame, self.opts), frame))
            return

    def _fallback(self, a: int, before: np.ndarray, b: int, after: np.ndarray) -> None:
        """New slide(s) by b with no telling spike: narrow by keyframes, then walk the frames left."""
        lo, lo_thumb = a, before
        while lo < b:
            hi, hi_thumb = b, after
            for k in np.flatnonzero(self.scan.key[lo + 1:b]) + lo + 1:
                t = self._thumb_at(int(k))
                if t is None:
                    continue
                if compare(lo_thumb, t, self.mask, self.opts).kind is Change.NEW:
                    hi, hi_thumb = int(k), t
                    break
                lo, lo_thumb = int(k), t
            gop_start = self.seeker.keyframe_before(lo)
            if self.scan.key[hi] and hi - gop_start < 0.9 * self.regular_gap and not self._spiky(lo, hi):
                # an extra keyframe inside a quiet GOP: the encoder's scene cut, exactly at the change
                for _, frame in self.seeker.frames(lo, lo):
                    self._change(_Found(hi, lo_thumb, frame))
            else:
                self._walk(lo, lo_thumb, hi)
            if hi == b or compare(hi_thumb, after, self.mask, self.opts).kind is not Change.NEW:
                return
            lo, lo_thumb = hi, hi_thumb

    def _thumb_at(self, idx: int) -> np.ndarray | None:
        for _, frame in self.seeker.frames(idx, idx):
            return thumbnail(frame, self.opts)
        return None

    def _walk(self, lo: int, ref: np.ndarray, hi: int) -> tuple[int, np.ndarray]:
        """Decode frames lo..hi, record every change of slide; return the last frame's index and thumbnail."""
        prev = None                 # (frame, thumb) of the last picture of the current slide
        moving: list = []           # (idx, thumb) since the picture left the current slide
        last = (lo, ref)
        for n, (i, frame) in enumerate(self.seeker.frames(lo, hi)):
            if n % 64 == 63:
                self.cancel_check()     # a file with one keyframe can make this walk the whole video
            t = thumbnail(frame, self.opts)
            last = (i, t)
            if not moving:
                kind = compare(ref, t, self.mask, self.opts).kind
                if kind is Change.NEW and prev is not None:
                    moving = [(i, t)]
                else:
                    if kind is not Change.SAME:
                        ref = t     # a build step (the slide grows), or a window opening after the change
                    prev = (frame, t)
                continue
            moving.append((i, t))
            if len(moving) > _MAX_MOVING:
                del moving[_MAX_MOVING // 2:-1]     # a clip playing on screen: keep its start and its end
            settled = len(moving) >= 3 and all(
                compare(moving[-k - 1][1], moving[-k][1], self.mask, self.opts).kind is Change.SAME for k in (1, 2))
            if settled:
                self._settle(prev, moving)
                ref, prev, moving = t, (frame, t), []
        if moving:
            self._settle(prev, moving)
        return last

    def _settle(self, prev: tuple, moving: list) -> None:
        """A picture left one slide and came to rest on another: put the change at the crossing."""
        old, new = prev[1], moving[-1][1]
        if compare(old, new, self.mask, self.opts).kind is not Change.NEW:
            return
        at = len(moving) - 1
        for k, (_, t) in enumerate(moving):
            if distance(t, old, self.mask, self.opts) >= distance(t, new, self.mask, self.opts):
                at = k
                break
        self._change(_Found(moving[at][0], old, prev[0]))

    def _spiky(self, lo: int, hi: int) -> bool:
        return any(lo < s.first <= hi for s in self.spikes)

    # -- showings and slide images ---------------------------------------------------------------
    def _change(self, found: _Found) -> None:
        t = float(self.scan.times[found.idx])
        if t <= self.start + (_MIN_SHOWING if self.album.showings else 0.0):
            return      # a blend frame caught between two changes is no slide: the earlier change stands
        self.album.close(self.start, t, found.before, found.frame)
        self.start = t

    def _finish(self) -> None:
        last = self.scan.count - 1
        for _, frame in self.seeker.frames(last, last):
            self.album.close(self.start, self.scan.duration, thumbnail(frame, self.opts), frame)
            return
        # the tail would not decode: end the last showing with the last keyframe's picture
        k = max(self.scan.thumbs)
        for _, frame in self.seeker.frames(k, k):
            self.album.close(self.start, self.scan.duration, self.scan.thumbs[k], frame)
