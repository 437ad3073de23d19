"""Packet-size spikes: an encoder spends many bytes exactly where the picture changes, and demuxing is free.

A still slide costs a few hundred bytes per frame, a moving speaker box or pointer a steady few thousand;
a slide change costs a large share of a keyframe. A run of packets several times the rolling median of their
neighbours is a place worth decoding; its peak measured against a keyframe says how much of the screen moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .options import SlideOptions
from .scan import Scan

_WINDOW = 61          # frames in the rolling median (about 4 s at 15 fps)
_FLOOR = 64           # bytes: below this a packet is 'nothing changed' whatever its neighbours


@dataclass(frozen=True)
class Spike:
    """Frames first..last (indices) carry far more bytes than usual; `strong` when most of the screen changed."""

    first: int
    last: int
    strong: bool


def rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median, edges padded with the edge values."""
    if len(values) == 0:
        return values.astype(float)
    half = window // 2
    padded = np.pad(values.astype(np.float32), half, mode="edge")
    out = np.empty(len(values), np.float32)
    step = 8192      # bounded memory: a window view of a long lecture would be large
    for a in range(0, len(values), step):
        view = sliding_window_view(padded[a:a + step + 2 * half], window)
        out[a:a + len(view)] = np.median(view, axis=1)
    return out


def find_spikes(scan: Scan, opts: SlideOptions) -> list[Spike]:
    """Runs of unusually large non-keyframe packets, merged when less than ~0.4 s apart."""
    nk = np.flatnonzero(~scan.key)
    if len(nk) == 0:
        return []
    sizes = scan.sizes[nk].astype(np.float32)
    base = np.maximum(rolling_median(sizes, _WINDOW), _FLOOR)
    key_sizes = scan.sizes[scan.key]
    key_size = float(np.median(key_sizes)) if len(key_sizes) else float(np.max(sizes))
    # the first P-frame after a keyframe on a still slide is a few hundred bytes: many times the median of
    # its empty neighbours, but nothing moved; a share of a keyframe is the floor of a real change
    hot_mask = (sizes >= opts.spike_ratio * base) & (sizes >= opts.min_share * key_size)
    hot = nk[hot_mask]
    peak_sizes = sizes[hot_mask]
    if len(hot) == 0:
        return []
    fps = (scan.count - 1) / max(scan.duration, 1e-6)
    gap = max(4, int(round(0.4 * fps)))
    spikes, start, prev, peak = [], hot[0], hot[0], peak_sizes[0]
    for i, size in zip(hot[1:], peak_sizes[1:]):
        if i - prev > gap:
            spikes.append(Spike(int(start), int(prev), bool(peak >= opts.strong_share * key_size)))
            start, peak = i, size
        else:
            peak = max(peak, size)
        prev = i
    spikes.append(Spike(int(start), int(prev), bool(peak >= opts.strong_share * key_size)))
    return spikes
