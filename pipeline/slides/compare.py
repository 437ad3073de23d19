"""Is picture B a different slide from picture A, the same slide with more bullets, or the same slide?

Whole-frame means are fooled by a speaker box or a pointer, so the comparison counts changed blocks
(ignoring blocks that change all the time: the picture-in-picture) and asks of the changed pixels whether
they went from background to ink (a build step) or anything else (a new slide).
"""

from __future__ import annotations

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
    hb, wb = h // block, w // block
    return mask_px[:hb * block, :wb * block].reshape(hb, block, wb, block).sum(axis=(1, 3))


def background(thumb: np.ndarray) -> int:
    """The most common gray level: the slide's background."""
    return int(np.bincount(thumb.ravel() // 8, minlength=32).argmax() * 8 + 4)


def changed_blocks(a: np.ndarray, b: np.ndarray, opts: SlideOptions) -> np.ndarray:
    """Boolean block grid of where two thumbnails differ."""
    px = np.abs(a.astype(np.int16) - b.astype(np.int16)) > opts.pixel_delta
    return _blocks(px, opts.block) >= opts.block_pixels


def compare(a: np.ndarray, b: np.ndarray, mask: np.ndarray, opts: SlideOptions) -> Diff:
    """Classify the change from thumbnail a to thumbnail b, ignoring masked blocks."""
    px = np.abs(a.astype(np.int16) - b.astype(np.int16)) > opts.pixel_delta
    blocks = (_blocks(px, opts.block) >= opts.block_pixels) & ~mask
    live = max(1, int((~mask).sum()))
    share = float(blocks.sum()) / live
    if share == 0:
        return Diff(0.0, 0.0, 0.0, Change.SAME)
    hb, wb = blocks.shape
    keep = np.zeros_like(px)
    keep[:hb * opts.block, :wb * opts.block] = blocks.repeat(opts.block, 0).repeat(opts.block, 1)
    sel = px & keep
    n = max(1, int(sel.sum()))
    bg = background(a)
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
        c = changed_blocks(a, b, opts)
        # a pair that moved much of the screen is a change the byte counts missed (a slow fade): skip it
        if c.mean() <= _QUIET_PAIR:
            counts += c
            quiet += 1
    if quiet < 4:
        return np.zeros(shape, bool)
    return counts >= opts.volatile_share * quiet


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
