"""Room-camera recordings: find the projected screen, and compare only what is on it.

A camera at the back of a lecture hall films the projection at an angle inside a larger, dimmer scene; its
auto-exposure drifts, it shakes, the lecturer walks in front of the screen. A screen recording has none of
that. So before the scan a dozen keyframes spread over the file are decoded; their per-pixel median (which
removes a lecturer who moves about) is thresholded, and when its bright part is one compact region with wall
around it on the left, the right and the top, that region is the screen. Its four edges are fitted as lines
(a robust fit: the lecturer's body still cuts the lower edge in places) and their crossings are the corners.

With a screen, every thumbnail is the screen straightened out (sampled through the homography from the
luma plane, so it keeps the detail a whole-frame thumbnail would lose), and scaled so that its median (the
slide's background) sits at one level: a camera's gain multiplies the picture, and that cancels. compare.py then lines
the two pictures up against shake (without the lecturer when he is what the whole picture lined up on), tolerates
a pixel more, and leaves out changes that a person or an inset explains (narrow patches rising from the
screen's lower edge). Slide images are saved straightened too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from .options import SlideOptions

ROOM_THUMB = (320, 180)   # thumbnail size on a room camera
PROBES = 12           # keyframes decoded to find the screen
_PROBE_SIZE = (320, 180)
_MIN_AREA = 0.15      # the screen covers at least this share of the picture ...
_MAX_AREA = 0.92      # ... and leaves wall around it
_MIN_MARGIN = 0.025   # share of the width/height of wall needed left, right and above the screen
_MIN_FILL = 0.85      # the bright region fills this share of the quadrilateral fitted to it
MID_LEVEL = 150       # a straightened thumbnail's median is scaled to this
_MAX_GAIN = 3.0


@dataclass(frozen=True)
class Screen:
    """The projection's corners (TL, TR, BR, BL) in frame pixels."""

    corners: tuple[tuple[float, float], ...]

    def homography(self, w: int, h: int, inset: float = 0.0) -> np.ndarray:
        """3x3 matrix taking (u, v, 1) of a w x h straight picture to frame pixels.

        With an inset the picture covers the screen less that share of its width and height on each side."""
        a, b = -inset / (1 - 2 * inset), 1 + inset / (1 - 2 * inset)
        return homography([(a * w, a * h), (b * w, a * h), (b * w, b * h), (a * w, b * h)], self.corners)


def homography(src, dst) -> np.ndarray:
    """The 3x3 projective map taking the four `src` points onto the four `dst` points."""
    rows, rhs = [], []
    for (u, v), (x, y) in zip(src, dst):
        rows += [[u, v, 1, 0, 0, 0, -x * u, -x * v], [0, 0, 0, u, v, 1, -y * u, -y * v]]
        rhs += [x, y]
    c = np.linalg.solve(np.array(rows, float), np.array(rhs, float))
    return np.append(c, 1.0).reshape(3, 3)


def find_screen(video: Path) -> Screen | None:
    """The projected screen of a room-camera recording, or None for a screen recording (or when unsure)."""
    try:
        container = av.open(str(video))
    except (av.error.FFmpegError, OSError):
        return None         # the scan reports an unreadable file with its own, specific error
    try:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        size = (stream.codec_context.width, stream.codec_context.height)
        pictures = _probe(container, stream)
    finally:
        container.close()
    if not pictures:
        return None     # a very short file gives a single keyframe: that is enough to see a screen
    # the brightest each pixel got: the lit screen wherever any slide was light there (a dark title bar on
    # most pages, a dark slide now and then), never the lecturer, who is darker than what he hides
    return screen_in(np.max(np.stack(pictures), axis=0), size)


def _probe(container, stream) -> list[np.ndarray]:
    duration = float(container.duration or 0) / 1e6
    if duration <= 0 and stream.duration:
        duration = float(stream.duration * stream.time_base)
    tb = float(stream.time_base or 0) or 1e-6
    start = stream.start_time or 0
    out, seen = [], set()
    w, h = _PROBE_SIZE
    for k in range(PROBES):
        at = start + int((k + 0.5) / PROBES * duration / tb)
        try:
            container.seek(at, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts not in seen:
                    seen.add(frame.pts)
                    out.append(frame.reformat(width=w, height=h, format="gray").to_ndarray())
                break
        except (av.error.FFmpegError, StopIteration):
            continue
    return out


def screen_in(median: np.ndarray, frame_size: tuple[int, int] | None = None) -> Screen | None:
    """The screen in a median picture (gray, any size); corners are scaled to `frame_size` (default: the picture's)."""
    h, w = median.shape
    if int(median.max()) - int(median.min()) < 40:
        return None     # one flat picture (a black video, a wall with the projector off): no screen
    level = _otsu(median)
    bright = median > level
    region = _largest_component(bright)
    if region is None:
        return None
    if not (_MIN_AREA <= region.mean() <= _MAX_AREA):
        return None
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    left = np.array([(r, np.flatnonzero(region[r])[0]) for r in rows], float)
    right = np.array([(r, np.flatnonzero(region[r])[-1] + 1) for r in rows], float)
    top = np.array([(c, np.flatnonzero(region[:, c])[0]) for c in cols], float)
    bottom = np.array([(c, np.flatnonzero(region[:, c])[-1] + 1) for c in cols], float)
    lines = [_fit(left), _fit(top), _fit(right), _fit(bottom)]   # x = a*y + b for sides, y = a*x + b for top/bottom
    if any(line is None for line in lines):
        return None
    L, T, R, B = lines
    corners = (_cross(L, T), _cross(R, T), _cross(R, B), _cross(L, B))
    (tlx, tly), (trx, try_), (brx, _), (blx, _) = corners
    mx, my = _MIN_MARGIN * w, _MIN_MARGIN * h
    if min(tlx, blx) < mx or max(trx, brx) > w - mx or min(tly, try_) < my:
        return None     # reaches the picture's left, right or top: a slide filling the frame, not a screen
    from PIL import Image, ImageDraw
    quad_img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(quad_img).polygon([tuple(p) for p in corners], fill=1)
    quad = np.asarray(quad_img).astype(bool)
    if not quad.any() or (region & quad).sum() < _MIN_FILL * quad.sum() or (region & ~quad).sum() > 0.2 * quad.sum():
        return None     # the bright part is no quadrilateral: text of a dark slide, a window, a photo
    # the wall must be clearly darker than the screen
    if (~quad).sum() == 0 or float(median[quad].mean()) - float(median[~quad].mean()) < 40:
        return None
    fw, fh = frame_size or (w, h)
    sx, sy = fw / w, fh / h
    return Screen(tuple((round(x * sx, 2), round(y * sy, 2)) for x, y in corners))


def _otsu(img: np.ndarray) -> int:
    hist = np.bincount(img.ravel(), minlength=256).astype(float)
    p = hist / hist.sum()
    omega, mu = np.cumsum(p), np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * omega - mu) ** 2 / (omega * (1 - omega))
    return int(np.argmax(np.nan_to_num(between, nan=-1.0)))


def _largest_component(mask: np.ndarray) -> np.ndarray | None:
    """The largest 4-connected true region (a row-run union-find, cheap at probe size)."""
    h, w = mask.shape
    labels = np.zeros((h, w), np.int32)
    parent = [0]

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for y in range(h):
        row = mask[y]
        x = 0
        while x < w:
            if not row[x]:
                x += 1
                continue
            x0 = x
            while x < w and row[x]:
                x += 1
            lab = len(parent)
            parent.append(lab)
            labels[y, x0:x] = lab
            if y:
                for other in np.unique(labels[y - 1, x0:x]):
                    if other:
                        ra, rb = root(int(other)), root(lab)
                        if ra != rb:
                            parent[max(ra, rb)] = min(ra, rb)
    if len(parent) == 1:
        return None
    roots = np.array([root(i) for i in range(len(parent))])
    flat = roots[labels]
    counts = np.bincount(flat.ravel())
    counts[0] = 0
    return flat == int(counts.argmax())


def _fit(points: np.ndarray) -> tuple[float, float] | None:
    """A robust straight line through (t, s) points: s = a*t + b, refitted on the points closest to the first fit."""
    if len(points) < 4:
        return None
    t, s = points[:, 0], points[:, 1]
    keep = np.ones(len(t), bool)
    for _ in range(3):
        a, b = np.polyfit(t[keep], s[keep], 1)
        err = np.abs(s - (a * t + b))
        cut = max(1.0, float(np.percentile(err, 60)) * 2)
        new = err <= cut
        if new.sum() < 4:
            break
        keep = new
    a, b = np.polyfit(t[keep], s[keep], 1)
    return float(a), float(b)


def _cross(side: tuple[float, float], flat: tuple[float, float]) -> tuple[float, float]:
    """Crossing of x = a1*y + b1 with y = a2*x + b2."""
    a1, b1 = side
    a2, b2 = flat
    y = (a2 * b1 + b2) / (1 - a1 * a2)
    return a1 * y + b1, y


def _polygon_area(pts) -> float:
    x = np.array([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    return 0.5 * float(np.abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


# -- straightened thumbnails ---------------------------------------------------------------------------

_IMAGE_INSET = 0.02  # share trimmed off each side of a saved slide image: the screen edge is found to ~1.5 %
_INSET = 0.03        # share of the screen left out of comparisons on each side
_SUPER = 2            # samples per thumbnail pixel per side
_maps: dict[tuple, np.ndarray] = {}


def _sample_map(screen: Screen, fw: int, fh: int, stride: int, size: tuple[int, int]) -> np.ndarray:
    key = (screen.corners, fw, fh, stride, size)
    m = _maps.get(key)
    if m is None:
        w, h = size
        # compare a little inside the screen's edge: shake moves the edge itself against the wall
        H = screen.homography(w, h, _INSET)
        u = (np.arange(w * _SUPER) + 0.5) / _SUPER
        v = (np.arange(h * _SUPER) + 0.5) / _SUPER

        def row(r: int) -> np.ndarray:
            # H[r] @ (u, v, 1) at every sample, as the sum of a row and a column (no grid of points built)
            return (H[r, 0] * u)[None, :] + (H[r, 1] * v + H[r, 2])[:, None]

        z = row(2)
        x = np.clip(np.rint(row(0) / z), 0, fw - 1).astype(np.int64)
        y = np.clip(np.rint(row(1) / z), 0, fh - 1).astype(np.int64)
        m = (y * stride + x).reshape(h, _SUPER, w, _SUPER)
        # the samples of one thumbnail pixel stacked on the first axis: summed as whole contiguous planes
        # (kept as intp: narrower indices are converted back on every use, which costs more than they save)
        m = np.ascontiguousarray(m.transpose(1, 3, 0, 2).reshape(_SUPER * _SUPER, h, w))
        if len(_maps) > 8:
            _maps.clear()
        _maps[key] = m
    return m


def straight_thumbnail(luma: np.ndarray, stride: int, fw: int, fh: int, opts: SlideOptions) -> np.ndarray:
    """The screen straightened to opts.thumb_size from a luma plane (flat buffer, `stride` bytes a row)."""
    w, h = opts.thumb_size
    idx = _sample_map(opts.screen, fw, fh, stride, (w, h))
    samples = np.take(luma, idx)
    total = samples[0].astype(np.uint16)
    for plane in samples[1:]:
        total += plane
    thumb = total.astype(np.float32) * np.float32(1 / (_SUPER * _SUPER))
    # the median is the slide's background (most of any slide): a lecturer, a bright head or a speaker box
    # covering part of the screen hardly moves it, while a camera's gain scales it with everything else
    # (taken from the histogram of the whole-number sums: the same value as np.median, several times faster)
    mid = _median_sum(total[::2, ::2]) / (_SUPER * _SUPER)
    gain = min(_MAX_GAIN, MID_LEVEL / max(mid, 1.0))
    return np.clip(thumb * gain, 0, 255).astype(np.uint8)


def _median_sum(values: np.ndarray) -> float:
    """np.median of non-negative whole numbers, from their histogram."""
    counts = np.cumsum(np.bincount(values.ravel()))
    n = values.size
    lo = int(np.searchsorted(counts, (n - 1) // 2, side="right"))
    hi = int(np.searchsorted(counts, n // 2, side="right"))
    return (lo + hi) / 2


def straighten_image(image, screen: Screen, box: tuple[int, int, int, int] | None = None):
    """A PIL picture of the frame turned into the straight screen, at the frame's size.

    With `box` (x0, y0, x1, y1 in the straight picture) only that part of it is made: the same pixels as a
    crop of the whole, for a fraction of the work."""
    from PIL import Image
    w, h = image.size
    H = screen.homography(w, h, _IMAGE_INSET)
    x0, y0, x1, y1 = box if box is not None else (0, 0, w, h)
    if x0 or y0:
        H = H @ np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    coeffs = tuple((H / H[2, 2]).ravel()[:8])
    return image.transform((x1 - x0, y1 - y0), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)


_PATCH_OFF = 12.0     # a block this far (mean gray) from the frames' median is covered in the chosen frame
_PATCH_FIT = 6.0      # ... and is taken from a frame this close to the median there


def patch_covered(frames, thumbs: np.ndarray, consensus: np.ndarray, best: int, opts: SlideOptions) -> np.ndarray:
    """The straightened slide image from frame `best`, with the blocks something covers in it (a lecturer
    standing still, an inset) taken from another frame of the showing where they look like the median of all.

    `thumbs` are the frames' straightened thumbnails; each donor frame is lined up with the chosen one by the
    shake registration of its thumbnail before its blocks are copied. Returns the image as an RGB array.
    """
    from .compare import _best_shift

    base_img = np.array(straighten_image(frames[best].to_image(), opts.screen))
    H, W = base_img.shape[:2]
    th, tw = consensus.shape
    bs = opts.block
    hb, wb = th // bs, tw // bs

    def block_err(t: np.ndarray) -> np.ndarray:
        d = np.abs(t[:hb * bs, :wb * bs] - consensus[:hb * bs, :wb * bs])
        return d.reshape(hb, bs, wb, bs).mean(axis=(1, 3))

    bad = block_err(thumbs[best]) > _PATCH_OFF
    if not bad.any():
        return base_img
    donors = {}
    for k in range(len(frames)):
        if k == best:
            continue
        coarse = _best_shift(thumbs[best][::2, ::2], thumbs[k][::2, ::2], 2, 2)
        dy, dx = _best_shift(thumbs[best], thumbs[k], 1, 2, (coarse[0] * 2, coarse[1] * 2))
        donors[k] = (block_err(np.roll(thumbs[k], (-dy, -dx), axis=(0, 1))), dy, dx)
    # a thumbnail pixel's place in the saved image: the two are straightened with different insets
    span = (1 - 2 * _INSET) / (1 - 2 * _IMAGE_INSET)
    off = (_INSET - _IMAGE_INSET) / (1 - 2 * _IMAGE_INSET)
    sy, sx = H * span / th, W * span / tw
    pieces = []     # (donor frame, where in the image, where in the donor's straight picture), in block order
    for r, c in zip(*np.nonzero(bad)):
        pick = min(donors, key=lambda k: donors[k][0][r, c])
        err, dy, dx = donors[pick]
        if err[r, c] > _PATCH_FIT:
            continue
        y0, y1 = int(off * H + r * bs * sy), int(off * H + (r + 1) * bs * sy)
        x0, x1 = int(off * W + c * bs * sx), int(off * W + (c + 1) * bs * sx)
        oy, ox = int(round(dy * sy)), int(round(dx * sx))
        ys, xs = (max(0, y0 + oy), min(H, y1 + oy)), (max(0, x0 + ox), min(W, x1 + ox))
        if ys[1] > ys[0] and xs[1] > xs[0]:
            pieces.append((pick, (y0, x0), ys, xs))
    straight = {}
    for pick in {p for p, *_ in pieces}:
        # only the part of the donor's straight picture that its pieces come from is made
        mine = [(ys, xs) for p, _, ys, xs in pieces if p == pick]
        top, bottom = min(ys[0] for ys, _ in mine), max(ys[1] for ys, _ in mine)
        left, right = min(xs[0] for _, xs in mine), max(xs[1] for _, xs in mine)
        crop = straighten_image(frames[pick].to_image(), opts.screen, (left, top, right, bottom))
        straight[pick] = (np.asarray(crop), top, left)
    for pick, (y0, x0), ys, xs in pieces:
        src, top, left = straight[pick]
        piece = src[ys[0] - top:ys[1] - top, xs[0] - left:xs[1] - left]
        base_img[y0:y0 + piece.shape[0], x0:x0 + piece.shape[1]] = piece
    return base_img
