"""Pair captions with slides: every cue goes to the slide that was on screen while it was spoken.

A cue goes to the showing it overlaps most (ties to the earlier showing); a cue that overlaps none (spoken
before the first slide, after the last, or in a gap) goes to the nearest showing. So every cue lands in
exactly one showing: none is dropped, none is repeated.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .captions.tidy import clean_caption_text
from .types import Cue, Showing


def _home(cue: Cue, starts: np.ndarray, ends: np.ndarray) -> int:
    """Index (into the time-sorted showings) of the showing that gets `cue`."""
    overlap = np.minimum(ends, cue.end) - np.maximum(starts, cue.start)
    best = int(np.argmax(overlap))             # argmax keeps the first of equal values: the earlier showing
    if overlap[best] > 0:
        return best
    # No overlap: an instant cue, or one in a gap or outside every showing. Nearest showing wins.
    mid = (cue.start + cue.end) / 2
    distance = np.maximum(np.maximum(starts - mid, mid - ends), 0.0)
    inside = (starts <= mid) & (mid < ends)
    if inside.any():
        return int(np.argmax(inside))
    return int(np.argmin(distance))


def align(showings: list[Showing], cues: list[Cue]) -> list[Showing]:
    """New showings (same order as given) with `cues` and `text` filled from the captions spoken during each."""
    if not showings:
        return []
    order = sorted(range(len(showings)), key=lambda i: (showings[i].start, showings[i].end, i))
    starts = np.array([showings[i].start for i in order], dtype=float)
    ends = np.array([showings[i].end for i in order], dtype=float)
    buckets: dict[int, list[Cue]] = {i: [] for i in range(len(showings))}
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        buckets[order[_home(cue, starts, ends)]].append(cue)
    return [replace(s, cues=buckets[i], text=clean_caption_text(" ".join(c.text for c in buckets[i])))
            for i, s in enumerate(showings)]
