"""Is picture B a different slide from picture A, the same slide with more bullets, or the same slide?

Whole-frame means are fooled by a speaker box or a pointer, so the comparison counts changed blocks
(ignoring blocks that change all the time: the picture-in-picture) and asks of the changed pixels whether
they went from background to ink (a build step) or anything else (a new slide).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum
from typing import Iterable

import numpy as np

from .options import SlideOptions


class Change(Enum):
    SAME = "same"
    ADDED = "added"      # only new ink on the old background: a build step of the same slide
    NEW = "new"


@dataclass(frozen=True)
class Diff:
    """How two thumbnails differ."""

    changed: float       # share of unmasked blocks that changed
    added: float         # share of changed pixels that went from background to ink
    removed: float       # share that went from ink to background
    kind: Change


def _blocks(mask_px: np.ndarray, block: int) -> np.ndarray:
    h, w = mask_px.shape
    return block_sums(mask_px, block, h // block, w // block)


def block_sums(x: np.ndarray, block: int, hb: int, wb: int) -> np.ndarray:
    """Per block of `block` x `block` pixels, the sum of x (its top-left hb x wb blocks).

    Rows first, then columns: two reductions over one contiguous axis each are several times faster than one
    reduction over two strided axes (and, on integer values, give the same sums)."""
    rows = x[:hb * block, :wb * block].reshape(hb, block, wb * block).sum(axis=1)
    return rows.reshape(hb, wb, block).sum(axis=2)


def median_level(img: np.ndarray) -> float:
    """np.median of a picture of whole gray levels 0..255, from its histogram (several times faster)."""
    counts = np.cumsum(np.bincount(img.ravel(), minlength=256))
    n = img.size
    lo = int(np.searchsorted(counts, (n - 1) // 2, side="right"))
    hi = int(np.searchsorted(counts, n // 2, side="right"))
    return (lo + hi) / 2


def background(thumb: np.ndarray) -> int:
    """The most common gray level: the slide's background."""
    return int(np.bincount(thumb.ravel() // 8, minlength=32).argmax() * 8 + 4)


def _spread(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel, the lowest and highest value among it and its 8 neighbours."""
    p = np.pad(img, 1, mode="edge")
    h, w = img.shape
    # separable: the 3 across, then the 3 down
    lo = np.minimum(np.minimum(p[:, :w], p[:, 1:w + 1]), p[:, 2:])
    hi = np.maximum(np.maximum(p[:, :w], p[:, 1:w + 1]), p[:, 2:])
    return (np.minimum(np.minimum(lo[:h], lo[1:h + 1]), lo[2:]),
            np.maximum(np.maximum(hi[:h], hi[1:h + 1]), hi[2:]))


def _best_shift(a: np.ndarray, b: np.ndarray, reach: int, step: int, around=(0, 0),
                keep: np.ndarray | None = None) -> tuple[int, int]:
    """The (dy, dx) within `reach` of `around` minimising the absolute difference of a and shifted b.

    With `keep` (a boolean picture the shape of a) only the pixels of a it marks are counted."""
    h, w = a.shape
    m = reach + max(abs(around[0]), abs(around[1]))
    core = a[m:h - m:step, m:w - m:step]
    weight = None if keep is None else keep[m:h - m:step, m:w - m:step]
    best, best_err = around, None
    for dy in range(around[0] - reach, around[0] + reach + 1):
        for dx in range(around[1] - reach, around[1] + reach + 1):
            d = np.abs(core - b[m + dy:h - m + dy:step, m + dx:w - m + dx:step])
            err = int(d.sum() if weight is None else d[weight].sum())
            if best_err is None or err < best_err or (err == best_err and abs(dx) + abs(dy) < sum(map(abs, best))):
                best, best_err = (dy, dx), err
    return best


def _register(a: np.ndarray, b: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """b moved by the whole-pixel shift that best lines it up with a (a knocked camera moves several pixels).

    Pixels shifted in from outside are taken from a, so they count as unchanged. `keep` marks the pixels of a
    to line up by (None: all of them)."""
    return _shifted(a, b, _shift(a, b, keep))


def _shift(a: np.ndarray, b: np.ndarray, keep: np.ndarray | None = None) -> tuple[int, int]:
    """(See _register.) Coarse to fine: pixel pairs at half resolution, then one pixel around it."""
    half = None if keep is None else keep[::2, ::2]
    coarse = _best_shift(a[::2, ::2], b[::2, ::2], _SHAKE, 2, keep=half)
    return _best_shift(a, b, 1, 3, (coarse[0] * 2, coarse[1] * 2), keep=keep)


def _shifted(a: np.ndarray, b: np.ndarray, shift: tuple[int, int]) -> np.ndarray:
    dy, dx = shift
    if (dy, dx) == (0, 0):
        return b
    h, w = a.shape
    out = a.copy()
    ys, yd = (slice(dy, h), slice(0, h - dy)) if dy >= 0 else (slice(0, h + dy), slice(-dy, h))
    xs, xd = (slice(dx, w), slice(0, w - dx)) if dx >= 0 else (slice(0, w + dx), slice(-dx, w))
    out[yd, xd] = b[ys, xs]
    return out


_SHAKE = 2    # half-resolution pixels of camera shake searched for in each direction (x2 at full size)


def _plain_foreign(img: np.ndarray, bs: int, bg: float) -> np.ndarray:
    """Blocks of a room thumbnail that are plain and far from its background level: something in front of the
    screen (a lecturer's body or head, a speaker box's backdrop) or a band of colour."""
    hb, wb = img.shape[0] // bs, img.shape[1] // bs
    x = img[:hb * bs, :wb * bs].astype(np.float32)
    n = float(bs * bs)
    m = block_sums(x, bs, hb, wb) / n
    sd = np.sqrt(np.maximum(block_sums(x * x, bs, hb, wb) / n - m * m, 0.0))
    return (sd < 2 * _TEXTURE) & (np.abs(m - bg) > _FOREIGN * bg)


def _slide_pixels(a: np.ndarray, b: np.ndarray, bs: int, foreign_a: np.ndarray,
                  foreign_b: np.ndarray) -> np.ndarray | None:
    """The pixels to line two room thumbnails up by: all but a person standing in front of the screen in either
    picture (and the blocks around him), or None (all of them) when there is no one or too little would be left.

    A lecturer walking in front of a nearly blank slide is the picture's strongest contrast: lined up on the
    whole picture, the shift found follows his steps and puts the slide's faint text out of line, which then
    reads as different text. The person is what _standing finds in the plain foreign blocks of either picture;
    the slide's own plain shapes (a title band, a chart's bars) stay, and with its ink give the camera's shake."""
    person = _standing(foreign_a | foreign_b)
    if not person.any():
        return None
    near = person.copy()
    near[:, 1:] |= person[:, :-1]
    near[:, :-1] |= person[:, 1:]
    near[1:, :] |= near[:-1, :].copy()
    near[:-1, :] |= near[1:, :].copy()
    if near.mean() > 1 - _MIN_KEPT:
        return None
    keep = np.ones(a.shape, bool)
    hb, wb = near.shape
    keep[:hb * bs, :wb * bs] = ~near.repeat(bs, 0).repeat(bs, 1)
    return keep


def _standing(blocks: np.ndarray) -> np.ndarray:
    """Of a grid of blocks, the 8-connected patches no wider than _OBJECT_WIDTH of it that reach its lowest row
    (a body, a speaker box), and the patches just above one of them (a head over its shoulders)."""
    hb, wb = blocks.shape
    patches = _patches(blocks)
    limit = max(2, int(_OBJECT_WIDTH * wb))
    out = np.zeros_like(blocks)
    stands = np.zeros_like(blocks)
    for cells in patches:
        cols = [c for _, c in cells]
        if max(r for r, _ in cells) == hb - 1 and max(cols) - min(cols) + 1 <= limit:
            rs, cs = zip(*cells)
            stands[list(rs), list(cs)] = True
    out |= stands
    for cells in patches:
        rows, cols = [r for r, _ in cells], [c for _, c in cells]
        low, c0, c1 = max(rows), min(cols), max(cols)
        if low < hb - 1 and max(cols) - min(cols) + 1 <= limit and \
                stands[low + 1:low + 1 + _NECK, max(0, c0 - 1):c1 + 2].any():
            rs, cs = zip(*cells)
            out[list(rs), list(cs)] = True
    return out


_NECK = 3         # block rows between a head and the body below it
_MIN_KEPT = 0.3   # share of a thumbnail's blocks that must be left to line it up without the foreign ones


def pixel_changes(a: np.ndarray, b: np.ndarray, opts: SlideOptions) -> np.ndarray:
    """Boolean picture of the thumbnail pixels that changed from a to b.

    On a room camera (opts.screen set) a pixel changed only when its new value lies outside the range of the
    old picture's 3x3 neighbourhood, and the old value outside the new one's: the camera shaking by a
    thumbnail pixel moves edges, not values, and passes; ink appearing or vanishing does not.
    """
    a16, b16 = a.astype(np.int16), b.astype(np.int16)
    if opts.screen is None:
        return np.abs(a16 - b16) > opts.pixel_delta
    return _tolerant_changes(a16, _register(a16, b16), opts)


def _tolerant_changes(a16: np.ndarray, b16: np.ndarray, opts: SlideOptions, spreads=None) -> np.ndarray:
    """(See pixel_changes.) `spreads` gives each picture's _spread when it is known (None: work it out)."""
    a_spread, b_spread = spreads or (None, None)
    a_lo, a_hi = a_spread or _spread(a16)
    b_lo, b_hi = b_spread or _spread(b16)
    d = np.maximum(np.maximum(b16 - a_hi, a_lo - b16), np.maximum(a16 - b_hi, b_lo - a16))
    return d > opts.pixel_delta


def _patches(blocks: np.ndarray) -> list[list[tuple[int, int]]]:
    """The 8-connected patches of a boolean grid of blocks, each as its (row, column) cells."""
    hb, wb = blocks.shape
    grid = blocks.tolist()      # plain lists: indexing them is several times faster than numpy scalars
    seen = [[False] * wb for _ in range(hb)]
    patches = []
    for r0, c0 in zip(*np.nonzero(blocks)):
        r0, c0 = int(r0), int(c0)
        if seen[r0][c0]:
            continue
        stack, cells = [(r0, c0)], []
        seen[r0][c0] = True
        while stack:
            r, c = stack.pop()
            cells.append((r, c))
            for rr in (r - 1, r, r + 1):
                if not 0 <= rr < hb:
                    continue
                line, done = grid[rr], seen[rr]
                for cc in (c - 1, c, c + 1):
                    if 0 <= cc < wb and line[cc] and not done[cc]:
                        done[cc] = True
                        stack.append((rr, cc))
        patches.append(cells)
    return patches


def objects(blocks: np.ndarray) -> np.ndarray:
    """The changed blocks a person or an inset explains: narrow 8-connected patches rising from the lower edge,
    and small compact ones.

    A lecturer walking in front of the screen (or stepping out of it) changes a column of blocks that
    reaches the screen's bottom; a speaker box in a lower corner does the same. A new slide changes its
    text across the screen. Only used for room cameras.
    """
    hb, wb = blocks.shape
    out = np.zeros_like(blocks)
    limit = max(2, int(_OBJECT_WIDTH * wb))
    for cells in _patches(blocks):
        rows = [r for r, _ in cells]
        cols = [c for _, c in cells]
        width, height = max(cols) - min(cols) + 1, max(rows) - min(rows) + 1
        # a column rising from the lower edge (a body, a speaker box), or a small blob (a head or a raised arm
        # against a dark slide, where the dark clothes do not show)
        if (max(rows) >= hb - 1 - hb // 8 and width <= limit) or \
                (width <= wb // 4 and height <= hb // 3 and len(cells) <= hb * wb // 18):
            rs, cs = zip(*cells)
            out[list(rs), list(cs)] = True
    return out


_OBJECT_WIDTH = 0.35  # share of the screen's width: no person (in either picture) or speaker box is wider


def _structure_blocks(a: np.ndarray, b: np.ndarray, opts: SlideOptions) -> np.ndarray:
    """(See _room_blocks.)"""
    return _room_blocks(a, _register(a.astype(np.int16), b.astype(np.int16)), opts)


def _room_blocks(a: np.ndarray, b: np.ndarray, opts: SlideOptions, levels=(None, None)) -> np.ndarray:
    """Room camera: blocks whose content differs in shape, not just in brightness, less what a person explains.

    Per block the two pictures (b lined up with a) are compared by normalised correlation, which a camera's
    gain, offset, blur and clipped highlights leave alone (ink on a blank block correlates with nothing);
    a block plain in both pictures with clearly different levels (a new colour band) changed too. Changed patches shaped
    like a person or an inset (objects()) lose their blocks that are plain in one picture (a body, a head, a
    speaker box's backdrop) and the blocks beside those (the outline); text that changed into other text
    beside a lecturer standing in front of it stays a change. `levels` are the two pictures' median_level when known."""
    bs = opts.block
    hb, wb = a.shape[0] // bs, a.shape[1] // bs
    A = a[:hb * bs, :wb * bs].astype(np.float32)
    B = b[:hb * bs, :wb * bs].astype(np.float32)
    n = float(bs * bs)

    def block_sum(x: np.ndarray) -> np.ndarray:
        return block_sums(x, bs, hb, wb)

    ma, mb = block_sum(A) / n, block_sum(B) / n
    va = np.maximum(block_sum(A * A) / n - ma * ma, 0.0)
    vb = np.maximum(block_sum(B * B) / n - mb * mb, 0.0)
    sa, sb = np.sqrt(va), np.sqrt(vb)
    ncc = (block_sum(A * B) / n - ma * mb) / np.maximum(sa * sb, 1e-6)
    hi, lo = np.maximum(sa, sb), np.minimum(sa, sb)
    textured = hi > _TEXTURE
    # ink on a blank block correlates with nothing; the same text blurred by the encoder (the first frames
    # after a change are coarse) or dimmed still correlates
    reshaped = textured & (ncc < _MIN_NCC)
    level = np.abs(ma - mb) > _LEVEL_SHARE * np.maximum(ma, mb) + opts.pixel_delta / 2
    changed = reshaped | level
    if not changed.any():
        return changed
    # in each picture, plain blocks far from its background level shaped like a person or an inset (a body
    # with its head, a speaker box's backdrop), and the blocks around them (an outline, an arm)
    explained = np.zeros_like(changed)
    for m, sd, img, known in ((ma, sa, a, levels[0]), (mb, sb, b, levels[1])):
        bg = median_level(img) if known is None else known
        # only changed blocks: a title band plain in both pictures is the slide's, not something in front
        explained |= objects(changed & (sd < 2 * _TEXTURE) & (np.abs(m - bg) > _FOREIGN * bg))
    near = explained.copy()
    near[:, 1:] |= explained[:, :-1]
    near[:, :-1] |= explained[:, 1:]
    near[1:, :] |= near[:-1, :].copy()
    near[:-1, :] |= near[1:, :].copy()
    return changed & ~near


_STILL_BLOCK = 3.0  # mean gray difference under which no block of two room thumbnails changed
_TEXTURE = 10.0     # gray levels of spread inside a block above which it holds ink
_FOREIGN = 0.2      # share of the background level a plain block must differ by to be something in front
_MIN_NCC = 0.5      # ink in both pictures correlating less than this is different ink
_LEVEL_SHARE = 0.25 # plain blocks whose levels differ by this share (beyond exposure hunting) changed


_local = threading.local()     # per thread, the last few room-camera grids: (a, b, opts, blocks, pixels)
_RECENT = 6


def _block_grid(a: np.ndarray, b: np.ndarray, opts: SlideOptions):
    """(changed blocks, a function giving the changed pixels) from a to b; the pixels are worked out only when
    asked for (on a room camera most comparisons end at the blocks).

    On a room camera the same two thumbnails are often compared again straight away (the walk asks whether a
    picture is the same slide, then whether it grew; a return is checked both ways): the last few results are
    kept, by identity of the two arrays (thumbnails are never changed in place)."""
    if opts.screen is None:
        return _grid(a, b, opts)
    recent = getattr(_local, "recent", None)
    if recent is None:
        recent = _local.recent = []
    for entry in recent:
        if entry[0] is a and entry[1] is b and entry[2] is opts:
            return entry[3], entry[4]
    blocks, px = _grid(a, b, opts)
    memo: list[np.ndarray] = []

    def pixels() -> np.ndarray:
        if not memo:
            memo.append(px())
        return memo[0]

    recent.insert(0, (a, b, opts, blocks, pixels))
    del recent[_RECENT:]
    return blocks, pixels


def _grid(a: np.ndarray, b: np.ndarray, opts: SlideOptions):
    if opts.screen is None:
        px = pixel_changes(a, b, opts)
        return _blocks(px, opts.block) >= opts.block_pixels, lambda: px
    a16, b16 = a.astype(np.int16), b.astype(np.int16)
    bs = opts.block
    hb, wb = a.shape[0] // bs, a.shape[1] // bs
    still = block_sums(np.abs(a16[:hb * bs, :wb * bs] - b16[:hb * bs, :wb * bs]), bs, hb, wb) / float(bs * bs)
    if still.max() < _STILL_BLOCK:
        # no block moved on average even before lining up: nothing changed (most pairs of a walk are so)
        return np.zeros((hb, wb), bool), lambda: np.zeros(a.shape, bool)
    # a thumbnail's level, foreign blocks and 3x3 spread are worked out once, however many pictures it is
    # compared with (not those of a picture shifted into line: that is a new picture)
    level_a, level_b = _of(a, "level", median_level), _of(b, "level", median_level)
    shift = _shift(a16, b16)
    moved = _shifted(a16, b16, shift)     # once for both
    blocks = _room_blocks(a, moved, opts, (level_a, level_b if moved is b16 else None))
    if blocks.mean() >= opts.new_fraction / 2:
        # a lecturer in front of a nearly blank slide may be what the whole picture was lined up on: lined up
        # without him, the pictures may be the same slide after all
        keep = _slide_pixels(a, b, bs, _of(a, "foreign", lambda x: _plain_foreign(x, bs, level_a)),
                             _of(b, "foreign", lambda x: _plain_foreign(x, bs, level_b)))
        other = shift if keep is None else _shift(a16, b16, keep)
        if other != shift:
            alt = _shifted(a16, b16, other)
            alt_blocks = _room_blocks(a, alt, opts, (level_a, level_b if alt is b16 else None))
            if alt_blocks.mean() < opts.new_fraction / 2:
                moved, blocks = alt, alt_blocks
    same = moved is b16
    return blocks, lambda: _tolerant_changes(
        a16, moved, opts, (_of(a, "spread", lambda x: _spread(x.astype(np.int16))),
                           _of(b, "spread", lambda x: _spread(x.astype(np.int16))) if same else None))


_KEPT = 24     # per thread, facts about the last few thumbnails (by identity: they are never changed in place)


def _of(thumb: np.ndarray, name: str, work):
    """work(thumb), kept for the thumbnail's next comparisons."""
    kept = getattr(_local, "facts", None)
    if kept is None:
        kept = _local.facts = []
    for entry in kept:
        if entry[0] is thumb and entry[1] == name:
            return entry[2]
    value = work(thumb)
    kept.insert(0, (thumb, name, value))
    del kept[_KEPT:]
    return value


def ink_share(a: np.ndarray, b: np.ndarray, opts: SlideOptions) -> float:
    """Share of blocks holding ink (spread above _TEXTURE) in either thumbnail."""
    bs = opts.block
    hb, wb = a.shape[0] // bs, a.shape[1] // bs

    n = float(bs * bs)

    def inked(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.int64)
        m = block_sums(x, bs, hb, wb) / n
        return block_sums(x * x, bs, hb, wb) / n - m * m > _TEXTURE * _TEXTURE

    return float((inked(a) | inked(b)).mean())


def changed_blocks(a: np.ndarray, b: np.ndarray, opts: SlideOptions, *, keep_objects: bool = False) -> np.ndarray:
    """Boolean block grid of where two thumbnails differ (on a room camera, leaving out what a person explains)."""
    blocks, px = _block_grid(a, b, opts)
    if keep_objects and opts.screen is not None:
        return _blocks(px(), opts.block) >= opts.block_pixels
    return blocks


def compare(a: np.ndarray, b: np.ndarray, mask: np.ndarray, opts: SlideOptions) -> Diff:
    """Classify the change from thumbnail a to thumbnail b, ignoring masked blocks."""
    blocks, pixels = _block_grid(a, b, opts)
    blocks = blocks & ~mask
    live = max(1, int((~mask).sum()))
    share = float(blocks.sum()) / live
    if share == 0:
        return Diff(0.0, 0.0, 0.0, Change.SAME)
    px = pixels()
    hb, wb = blocks.shape
    keep = np.zeros_like(px)
    keep[:hb * opts.block, :wb * opts.block] = blocks.repeat(opts.block, 0).repeat(opts.block, 1)
    sel = px & keep
    n = max(1, int(sel.sum()))
    bg = _of(a, "background", background) if opts.screen is not None else background(a)
    a_bg = np.abs(a.astype(np.int16) - bg) <= 2 * opts.pixel_delta // 3
    b_bg = np.abs(b.astype(np.int16) - bg) <= 2 * opts.pixel_delta // 3
    added = float((sel & a_bg & ~b_bg).sum()) / n
    removed = float((sel & ~a_bg & b_bg).sum()) / n
    # a build only puts ink on background; blocks where ink vanished or changed (a new title) rule it out,
    # allowing a couple for a pointer dot that moved
    touched = _blocks(sel & ~a_bg, opts.block) >= opts.block_pixels
    kept_ink = int(touched.sum()) <= max(2, int(0.02 * live))
    if share < opts.new_fraction:
        kind = Change.SAME if share < opts.new_fraction / 2 else Change.ADDED
    elif added >= opts.addition_share and kept_ink:
        kind = Change.ADDED
    else:
        kind = Change.NEW
    return Diff(share, added, removed, kind)


def distance(a: np.ndarray, b: np.ndarray, mask: np.ndarray, opts: SlideOptions) -> float:
    """Mean absolute gray difference outside the mask: locates the middle of a fade."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    hb, wb = mask.shape
    live = np.ones(d.shape, bool)
    live[:hb * opts.block, :wb * opts.block] = ~mask.repeat(opts.block, 0).repeat(opts.block, 1)
    return float(d[live].mean()) if live.any() else 0.0


def volatile_mask(pairs: Iterable[tuple[np.ndarray, np.ndarray]], opts: SlideOptions) -> np.ndarray:
    """Blocks that keep changing while the slide stays (a speaker box, a clock): left out of comparisons.

    `pairs` are pictures a fraction of a second apart with no packet spike between them, so the slide
    itself did not change; keyframes seconds apart would not do: in a fast lecture nearly every pair of
    them straddles a change, and a change between slides of one template moves only the text blocks.
    """
    w, h = opts.thumb_size
    shape = (h // opts.block, w // opts.block)
    counts, quiet = np.zeros(shape, np.int32), 0
    for a, b in pairs:
        c = changed_blocks(a, b, opts, keep_objects=True)
        # a pair that moved much of the screen is a change the byte counts missed (a slow fade): skip it
        if c.mean() <= _QUIET_PAIR:
            counts += c
            quiet += 1
    if quiet < 4:
        return np.zeros(shape, bool)
    # on a room camera the lecturer may stand and gesture in one place for long: only an inset changes
    # nearly all the time
    share = opts.volatile_share if opts.screen is None else max(opts.volatile_share, _ROOM_VOLATILE)
    return counts >= share * quiet


_ROOM_VOLATILE = 0.8
_QUIET_PAIR = 0.3   # share of blocks: above it a pair straddles a slide change


def covered_box(mask: np.ndarray, opts: SlideOptions) -> tuple[float, float, float, float] | None:
    """The region (x0, y0, x1, y1 as fractions of the frame) a still speaker box hides, or None.

    A picture-in-picture that stays put is learned as one compact patch of volatile blocks; its still parts
    (a plain backdrop) may not change, so the patch's bounding box is grown by one block on each side.
    Scattered volatile blocks (noise, a clock) are no box: they hide nothing worth a note.
    """
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if mask.sum() < _BOX_FILL * (r1 - r0) * (c1 - c0) or (r1 - r0) * (c1 - c0) > _BOX_MAX * mask.size:
        return None
    hb, wb = mask.shape
    r0, c0, r1, c1 = max(0, r0 - 1), max(0, c0 - 1), min(hb, r1 + 1), min(wb, c1 + 1)
    return (round(c0 / wb, 4), round(r0 / hb, 4), round(c1 / wb, 4), round(r1 / hb, 4))


_BOX_FILL = 0.4   # volatile blocks filling this share of their bounding box are one speaker box
_BOX_MAX = 0.5    # a "box" over half the frame is no speaker box (a video lecture): nothing to note
