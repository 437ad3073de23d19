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
