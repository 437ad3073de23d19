"""Find every distinct slide of a lecture video: keyframe scan, packet-size spikes, targeted decode.

1. scan (scan.py): demux all packets (time, size, keyframe flag), decode spaced keyframes and every early
   keyframe (an encoder scene cut) into thumbnails, plus short runs of frames that teach the volatile mask;
2. spikes (spikes.py): runs of packets far larger than their neighbours mark where the picture changed;
3. walk consecutive decoded keyframes a..b. Between them the picture can only have changed at an *event*:
   a spike, or b itself when b is a scene cut (a cut coded as a keyframe has no spike). So:
   - no event: a different slide at b is a change without a telling spike (a slow fade, a tiny change):
     decode the GOP that holds it and put it at the first frame nearer the new slide than the old (seek.py);
   - only a scene cut, pictures a and b different: the change is exactly on keyframe b, and only the old
     slide's last picture is decoded;
   - spikes: decode a short window around each one and follow the picture from one to the next (a spike
     may be a build step while the change is on keyframe b, or a change among build steps, or two quick
     changes, or a visit to another slide and back); when a and b show one slide and no spike covers the
     whole screen, the spikes are build steps and nothing is decoded;
4. each change closes a showing; its last picture becomes its slide's image (album.py), matched against
   earlier slides to recognise returns.

Showings shorter than _MIN_SHOWING are not reported: their change merges into the neighbour's (a blend
frame of a fade, a slide flipped past on the way to another).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from ..errors import InputError
from ..types import CancelCheck, Progress, Showing, no_cancel, no_progress
from .album import Album
from .compare import Change, changed_blocks, compare, covered_box, distance, volatile_mask
from .options import SlideOptions
from .room import ROOM_THUMB, find_screen, patch_covered
from .scan import Scan, scan_video, thumbnail
from .seek import Seeker
from .spikes import Spike, find_spikes

_MIN_SHOWING = 0.5  # seconds: no real slide is shown for less
_MAX_MOVING = 240   # thumbnails kept while the picture is in motion (about 3.5 MB)
_PRE_SECONDS = 1.0
_QUIET_CHANGE = 0.15  # share of blocks a change with neither spike nor keyframe must move to count
_FADE_LEAD = 0.7    # seconds before a spike whose pictures may already be blending into the next slide
_MOTION_PAIRS = 8   # consecutive-frame pairs seen in a showing before its moving blocks are masked
_MOTION_HITS = 3    # a block changing in this many of them, over at least _MOTION_SECONDS, moves by itself
_MOTION_SECONDS = 1.5
_COMPOSE_FRAMES = 4  # frames of a showing besides its last one that a slide image may be composed from
_MOTION_FILL = 0.4  # moving blocks filling this share of their bounding box are one clip: mask the box
_SEEN_FRAMES = 12   # frames the walk decoded that are kept for composing the showing's image (room cameras)
_PROBE_FRAMES = 80  # a room camera's spike window up to this long is decoded before any frame is examined ...
_PROBE_BYTES = 64_000_000   # ... and up to this many bytes of decoded pictures (fewer frames of a large video)
_STRIDE = 6          # frames of a room camera's walk looked at while the picture stays put: one in this many
_SEEN_NEAR = 0.1    # share of a showing by which a kept frame may be off the sample time it stands in for


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
    if opts.screen is None and opts.room is not False and Path(video).exists():
        # a room camera filming a projection: compare and save only the screen, straightened (room.py)
        screen = find_screen(Path(video))
        if screen is not None:
            # twice the detail: text filmed at an angle is small, and lines of different words at the same
            # height look alike at the screen recording's thumbnail size
            opts = replace(opts, screen=screen, thumb_size=ROOM_THUMB)
        elif opts.room:
            raise InputError(f"{video}: no projected screen was found in the picture (room=True asks for a room "
                             "camera filming a projection); leave `room` unset to treat it as a screen recording",
                             source=str(video))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scan = scan_video(Path(video), opts, progress, cancel_check)
    spikes = find_spikes(scan, opts)
    mask = volatile_mask(_still_pairs(scan, spikes), opts)
    finder = _Finder(Path(video), out_dir, scan, mask, spikes, opts, progress, cancel_check)
    try:
        showings = finder.run()
    finally:
        finder.seeker.close()
        if finder.sampler is not None:
            finder.sampler.close()
        finder.album.wait()
    box = covered_box(mask, opts)
    for s in showings:
        s.covered = box     # a still speaker box hides the same region of every slide image
    progress(1.0, f"{len(finder.album.slides)} slides found")
    return showings


def _still_pairs(scan: Scan, spikes: list[Spike]):
    """Each sampled keyframe with the last frame decoded after it, when no spike lies between the two."""
    starts = np.array([s.first for s in spikes], dtype=np.int64)
    runs: dict[int, int] = {}
    keys = np.flatnonzero(scan.key)
    for j in scan.near:
        at = int(np.searchsorted(keys, j, side="right")) - 1
        if at >= 0 and int(keys[at]) in scan.thumbs:
            k = int(keys[at])
            runs[k] = max(runs.get(k, j), j)
    for k, j in sorted(runs.items()):
        if not np.any((starts > k) & (starts <= j)):
            yield scan.thumbs[k], scan.near[j]


class _Finder:
    POST = 4     # frames after a spike's last packet

    def __init__(self, video, out_dir, scan: Scan, mask, spikes: list[Spike], opts: SlideOptions,
                 progress: Progress, cancel_check: CancelCheck) -> None:
        self.out_dir, self.scan, self.base_mask, self.spikes, self.opts = out_dir, scan, mask, spikes, opts
        # motion inside the current showing (a video clip playing in a slide): per block, how many pairs of
        # consecutive decoded frames changed it, out of how many pairs were seen
        self.motion = np.zeros(mask.shape, np.int32)
        self.motion_first = np.full(mask.shape, -1, np.int64)    # frame of each block's first and last change
        self.motion_last = np.full(mask.shape, -1, np.int64)
        self.motion_pairs = 0
        fps = (scan.count - 1) / max(scan.duration, 1e-6)
        self.motion_span = round(_MOTION_SECONDS * fps)
        self.progress, self.cancel_check = progress, cancel_check
        # a room camera's walk makes many short requests (10-15 % less CPU without frame threads on the room
        # benchmark, and no slower by the clock on two cores)
        self.seeker = Seeker(video, scan, frame_threads=opts.screen is None)
        self.video = video
        self.sampler: Seeker | None = None      # a second decoder for _compose, so the walk keeps its place
        # compose slide images on a room camera (a screen recording keeps the decode budget of its 300x target;
        # its speaker box, when still, is recorded as covered)
        self.compose = opts.screen is not None
        self.album = Album(out_dir, mask, opts)
        keys = np.flatnonzero(scan.key)
        self.regular_gap = int(np.median(np.diff(keys))) if len(keys) > 1 else scan.count
        # frames decoded before a spike's first packet: B-frames put a cut up to 3-4 frames earlier, and a fade
        # starts quietly before its bytes rise; the window must open on a clean picture of the old slide
        self.PRE = max(6, round(_PRE_SECONDS * fps))
        self.start = 0.0
        self.last_frame: tuple[int, av.VideoFrame] | None = None    # the last frame _walk decoded
        # frames _walk decoded, spread over the current showing, with their thumbnails: a composed image can
        # take its samples from them instead of decoding a GOP again (the second decoder's main cost)
        # (a frame the walk only passed through on its way has no thumbnail yet: None until one is needed)
        self.seen: dict[int, tuple[av.VideoFrame, np.ndarray | None]] = {}
        if self.compose:
            self.seeker.passed = self._keep_seen
        self.busy = np.zeros(scan.count, bool)                         # frames inside a spike
        self.unsettled = np.zeros(scan.count, bool)                    # ... or shortly before one
        lead = round(_FADE_LEAD * fps)
        for s in spikes:
            self.busy[s.first:s.last + 1] = True
            self.unsettled[max(0, s.first - lead):s.last + 1] = True

    @property
    def mask(self) -> np.ndarray:
        """Blocks left out of comparisons: the volatile mask plus what keeps moving in the current showing."""
        if self.motion_pairs < _MOTION_PAIRS:
            return self.base_mask
        # moving for a while, not once: a fade or a build is over in a second, a clip goes on
        live = (self.motion >= _MOTION_HITS) & (self.motion_last - self.motion_first >= self.motion_span)
        rows, cols = np.flatnonzero(live.any(axis=1)), np.flatnonzero(live.any(axis=0))
        if len(rows) and live.sum() >= _MOTION_FILL * (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1):
            # a clip fills a box (its still parts change too, at the clip's own cuts); a pointer's path does not
            live[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
        return self.base_mask | live

    def _learn_motion(self, i: int, a: np.ndarray, b: np.ndarray) -> None:
        """Count the blocks that changed from frame i-1 (thumbnail a) to frame i (b)."""
        if self.busy[i] or self.busy[i - 1]:
            return      # the encoder is coding a change: a cut, a fade or a build step
        c = changed_blocks(a, b, self.opts) & ~self.base_mask
        # a pair that moved much of the screen is a cut or a fade, not motion inside the slide
        if c.mean() <= 0.3:
            self.motion += c
            self.motion_pairs += 1
            self.motion_first[c & (self.motion_first < 0)] = i
            self.motion_last[c] = i

    def _reset_motion(self) -> None:
        self.motion[:] = 0
        self.motion_first[:] = -1
        self.motion_last[:] = -1
        self.motion_pairs = 0

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
        cuts = scan.scene_cuts()
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
            cut = bool(cuts[b]) and not any(s.first == b for s in inside)
            events = len(inside) + cut
            kind = compare(state, thumbs[b], self.mask, self.opts).kind
            if events == 0:
                if kind is Change.NEW:
                    self._fallback(state_idx, state, b, thumbs[b])
            elif events == 1 and kind is not Change.NEW and not (self.opts.screen is not None and inside
                                                                 and inside[0].strong):
                pass        # one build step, or a pointer coming and going
                # (on a room camera a whole-screen spike is checked: a quick visit to another slide and
                # back can have its return coded as a keyframe of regular spacing, with no spike of its own)
            elif events == 1 and cut:
                self._cut_change(state_idx, state, b)
            elif kind is Change.NEW or cut or any(s.strong for s in inside):
                # a change among build steps, or a quick visit to another slide and back
                state_idx, state = self._check_spikes(state_idx, state, inside)
                if b > state_idx and compare(state, thumbs[b], self.mask, self.opts).kind is Change.NEW:
                    if cut:
                        self._cut_change(state_idx, state, b)
                    else:
                        self._fallback(state_idx, state, b, thumbs[b])
            if b > state_idx:
                state_idx, state = b, thumbs[b]
        self._finish()
        return self.album.showings

    def _cut_change(self, lo: int, before: np.ndarray, b: int) -> None:
        """The encoder coded the new slide as keyframe b: the change is there; lo shows the old slide's last picture."""
        if self.last_frame is not None and self.last_frame[0] == lo:
            self._change(_Found(b, before, self.last_frame[1]))
            return
        for _, frame in self.seeker.frames(lo, lo):
            self._change(_Found(b, before, frame))
            return

    def _check_spikes(self, state_idx: int, state: np.ndarray, spikes: list[Spike]) -> tuple[int, np.ndarray]:
        """Decode a short window around each spike and record the changes of slide in it."""
        for s in spikes:
            # from the last known picture when it is near: a change on the window's first frame needs a frame before it
            lo = max(state_idx, s.first - self.PRE)
            if lo > s.last + self.POST:
                continue
            # a keyframe the scan skipped may hold a change (an encoder scene cut) before this window
            for k in np.flatnonzero(self.scan.key[state_idx + 1:lo + 1]) + state_idx + 1:
                t = self._thumb_at(int(k))
                if t is not None and compare(state, t, self.mask, self.opts).kind is not Change.SAME:
                    if compare(state, t, self.mask, self.opts).kind is Change.NEW:
                        self._fallback(state_idx, state, int(k), t)
                    state_idx, state = int(k), t
            if self.opts.screen is not None:
                state_idx, state = self._probe_walk(max(lo, state_idx), state, s.last + self.POST)
            else:
                state_idx, state = self._walk(max(lo, state_idx), state, s.last + self.POST)
        return state_idx, state

    def _probe_walk(self, lo: int, ref: np.ndarray, hi: int) -> tuple[int, np.ndarray]:
        """_walk for a room camera: decode frames lo..hi, but look at them only when the last one is not the
        slide of `ref`.

        Noise, shake and the lecturer make many spikes on a room camera, and most of them end on the slide they
        started on; the walk would straighten and compare each of their frames to find nothing. A change and
        a change back inside one window would be a showing shorter than a spike's merging gap (a blend, a slide
        flipped past), which is not reported anyway."""
        picture = max(1, self.scan.width * self.scan.height * 3 // 2)     # bytes of a 4:2:0 frame
        if hi - lo + 1 > min(_PROBE_FRAMES, _PROBE_BYTES // picture):
            return self._walk(lo, ref, hi)
        frames = list(self.seeker.frames(lo, hi))
        if not frames:
            return lo, ref
        i, frame = frames[-1]
        t = thumbnail(frame, self.opts)
        if compare(ref, t, self.mask, self.opts).kind is Change.SAME:
            self.last_frame = (i, frame)
            if self.compose:
                for j, f in frames[:-1]:
                    self._keep_seen(j, f)
                self._keep_seen(i, frame, t)
            return i, t
        return self._walk(lo, ref, hi, frames=frames, thumbs={i: t})

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

    def _walk(self, lo: int, ref: np.ndarray, hi: int, frames=None, thumbs=None) -> tuple[int, np.ndarray]:
        """Decode frames lo..hi, record every change of slide; return the last frame's index and thumbnail.

        `frames` are those frames when they are already decoded, `thumbs` thumbnails already made of some.
        On a room camera, while the picture stays on its slide away from any spike, only every _STRIDE-th
        frame is looked at; when one is not plainly the same slide, the frames passed over are looked at in
        order first, so a change is still put on its own frame."""
        prev = None                 # (frame, thumb) of the last picture of the current slide
        moving: list = []           # (idx, thumb) since the picture left the current slide
        last = (lo, ref)
        thumbs = thumbs or {}
        stride = _STRIDE if self.opts.screen is not None else 1
        held: list = []             # (idx, frame) passed over since the last frame looked at
        looked = False

        def look(i: int, frame: av.VideoFrame, t: np.ndarray) -> None:
            nonlocal prev, moving, last, ref, looked
            if looked and i == last[0] + 1:
                self._learn_motion(i, last[1], t)
            looked = True
            last = (i, t)
            self.last_frame = (i, frame)
            if self.compose:
                self._keep_seen(i, frame, t)
            if not moving:
                kind = compare(ref, t, self.mask, self.opts).kind
                if kind is Change.NEW and prev is not None:
                    moving = [(i, t)]
                    return
                grew = prev is not None and self._grew(ref, t)
                if prev is None or grew or (kind is Change.SAME and not self.unsettled[i]):
                    # the slide's picture to keep: the reference itself or a build step of it, never one just
                    # before a spike (a fade starts quietly: a faint blend passes for the same slide)
                    ref, prev = (t if prev is None or grew else ref), (frame, t)
                return
            moving.append((i, t))
            if len(moving) > _MAX_MOVING:
                del moving[_MAX_MOVING // 2:-1]     # a clip playing on screen: keep its start and its end
            # inside a spike the encoder is still spending bytes: a fade is under way however still it looks
            settled = len(moving) >= 3 and not self.busy[i] and all(
                compare(moving[-k - 1][1], moving[-k][1], self.mask, self.opts).kind is Change.SAME for k in (1, 2))
            if settled:
                if self._settle(prev, moving) or self._grew(prev[1], t):
                    ref, prev = t, (frame, t)
                # otherwise keep the last clean picture: a slow fade looks still from one frame to the next,
                # and taking each resting point as the new reference would let it creep to another slide unseen
                moving = []

        def thumb_of(i: int, frame: av.VideoFrame) -> np.ndarray:
            return thumbs[i] if i in thumbs else thumbnail(frame, self.opts)

        def catch_up(i: int, frame: av.VideoFrame) -> None:
            """Look at frame i, and first at the frames passed over unless i is plainly still the slide."""
            t = thumb_of(i, frame)
            if held and not (not moving and prev is not None and not self.unsettled[i]
                             and compare(ref, t, self.mask, self.opts).kind is Change.SAME):
                for j, f in held:
                    look(j, f, thumb_of(j, f))
            elif self.compose:
                for j, f in held:
                    self._keep_seen(j, f)
            held.clear()
            look(i, frame, t)

        for n, (i, frame) in enumerate(frames if frames is not None else self.seeker.frames(lo, hi)):
            if n % 64 == 63:
                self.cancel_check()     # a file with one keyframe can make this walk the whole video
            if stride > 1 and i < hi and not moving and prev is not None and len(held) < stride - 1 \
                    and not self.unsettled[i]:
                held.append((i, frame))
                continue
            catch_up(i, frame)
        if held:
            catch_up(*held.pop())
        if moving:
            self._settle(prev, moving)
        return last

    def _settle(self, prev: tuple, moving: list) -> bool:
        """If the picture left one slide and came to rest on another, record the change at the crossing."""
        old, new = prev[1], moving[-1][1]
        d = compare(old, new, self.mask, self.opts)
        if d.kind is not Change.NEW:
            return False
        first, last = moving[0][0], moving[-1][0]
        if not (self.unsettled[first:last + 1].any() or self.scan.key[first:last + 1].any()) \
                and d.changed < _QUIET_CHANGE:
            # no packet spike and no keyframe: the encoder saw no new picture, so a small change is motion
            # inside the slide (a clip cutting to its next scene), not another slide
            return False
        at = len(moving) - 1
        for k, (_, t) in enumerate(moving):
            if distance(t, old, self.mask, self.opts) >= distance(t, new, self.mask, self.opts):
                at = k
                break
        self._change(_Found(moving[at][0], old, prev[0]))
        return True

    def _grew(self, old: np.ndarray, new: np.ndarray) -> bool:
        """The picture came to rest with ink added to the old one: a build step, the new reference."""
        d = compare(old, new, self.mask, self.opts)
        return d.kind is Change.ADDED and d.added >= self.opts.addition_share

    def _spiky(self, lo: int, hi: int) -> bool:
        return any(lo < s.first <= hi for s in self.spikes)

    # -- showings and slide images ---------------------------------------------------------------
    def _keep_seen(self, i: int, frame: av.VideoFrame, thumb: np.ndarray | None = None) -> None:
        """Keep frame i for _compose; past _SEEN_FRAMES, drop the one whose neighbours are closest together."""
        if thumb is None and i in self.seen:
            return
        self.seen[i] = (frame, thumb)
        if len(self.seen) > _SEEN_FRAMES:
            idx = sorted(self.seen)
            gaps = [idx[k + 1] - idx[k - 1] for k in range(1, len(idx) - 1)]
            del self.seen[idx[1 + int(np.argmin(gaps))]]

    def _change(self, found: _Found) -> None:
        t = float(self.scan.times[found.idx])
        if t <= self.start + (_MIN_SHOWING if self.album.showings else 0.0):
            return      # a blend frame caught between two changes is no slide: the earlier change stands
        self.album.close(self.start, t, found.before, found.frame,
                         image=self._compose(self.start, found.before, found.frame))
        self.start = t
        self._reset_motion()    # a clip belongs to its slide: the next one starts still
        self.seen = {k: v for k, v in self.seen.items() if k >= found.idx}

    def _compose(self, start: float, thumb: np.ndarray, frame: av.VideoFrame) -> np.ndarray | None:
        """The clearest picture of the showing's slide: of its last frame and other frames of the showing that
        show the same slide state, the one closest to their per-pixel median, or None for the last frame.

        The median of several pictures leaves out a lecturer walking about or a speaker box that moves or
        leaves; the frame closest to it is the one least covered, and stays sharp (a median of frames a shaking
        camera took would double the text). Keyframes decode on their own and are used first; a room camera,
        where someone is nearly always in front, also samples frames between them.
        """
        if not self.compose or frame.pts is None:
            return None
        scan = self.scan
        first = int(np.searchsorted(scan.times, start - 1e-6))
        last = scan.index_of(frame.pts)
        if last - first < 4:
            return None
        keys = [int(k) for k in np.flatnonzero(scan.key[first + 1:last]) + first + 1]
        if len(keys) > _COMPOSE_FRAMES:
            keys = [keys[round(j * (len(keys) - 1) / (_COMPOSE_FRAMES - 1))] for j in range(_COMPOSE_FRAMES)]
        if self.opts.screen is not None and len(keys) < _COMPOSE_FRAMES:
            # a lecturer may stand still for a while: spread the samples over the showing
            keys += [first + round(f * (last - first)) for f in (0.25, 0.5, 0.75)]
        keys = sorted(set(k for k in keys if first < k < last))
        if self.sampler is None:
            self.sampler = Seeker(self.video, scan, frame_threads=False)
        thumbs, frames = [thumb], [None]
        near = max(1, round(_SEEN_NEAR * (last - first)))
        seen = sorted(k for k in self.seen if first < k < last)
        for k in keys:
            # a frame the walk decoded near the sample time stands in for it
            nearest = min(seen, key=lambda j: abs(j - k), default=None)
            if nearest is not None and abs(nearest - k) <= near:
                f, t = self.seen[nearest]
                if t is None:
                    t = thumbnail(f, self.opts)
                seen.remove(nearest)
                pairs = [(f, t)]
            else:
                pairs = ((f, thumbnail(f, self.opts)) for _, f in self.sampler.frames(k, k))
            for f, t in pairs:
                if compare(thumb, t, self.mask, self.opts).kind is Change.SAME and \
                        compare(t, thumb, self.mask, self.opts).kind is Change.SAME:
                    thumbs.append(t)
                    frames.append(f)
                break
        if len(thumbs) < 3:
            return None
        stack = np.stack(thumbs).astype(np.int16)
        consensus = np.median(stack, axis=0)
        best = int(np.argmin(np.abs(stack - consensus).mean(axis=(1, 2))))
        if self.opts.screen is None:
            return None if best == 0 else frames[best].to_ndarray(format="rgb24")
        frames[0] = frame
        return patch_covered(frames, stack, consensus, best, self.opts)

    def _finish(self) -> None:
        last = self.scan.count - 1
        for _, frame in self.seeker.frames(last, last):
            thumb = thumbnail(frame, self.opts)
            self.album.close(self.start, self.scan.duration, thumb, frame,
                             image=self._compose(self.start, thumb, frame))
            return
        # the tail would not decode: end the last showing with the last keyframe's picture
        k = max(self.scan.thumbs)
        for _, frame in self.seeker.frames(k, k):
            self.album.close(self.start, self.scan.duration, self.scan.thumbs[k], frame)
