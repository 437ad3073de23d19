"""Pair captions with slides: every sentence goes whole to the slide that was on screen while it was spoken.

Cues are grouped into the sentences they hold (pipeline.captions.sentences), and each group goes to the showing
it overlaps most in total (ties to the earlier showing), so a sentence that runs over a slide change is not
cut in two. A group that overlaps none (spoken before the first slide, after the last, or in a gap) goes to
the nearest showing. So every cue lands in exactly one showing, with its own times: none is dropped, none is
repeated.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .captions.sentences import sentence_groups
from .captions.tidy import clean_caption_text
from .types import Cue, Showing


def _overlaps(cue: Cue, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return np.maximum(np.minimum(ends, cue.end) - np.maximum(starts, cue.start), 0.0)


def _home(group: list[Cue], starts: np.ndarray, ends: np.ndarray) -> int:
    """Index (into the time-sorted showings) of the showing that gets the sentence `group`."""
    overlap = sum(_overlaps(c, starts, ends) for c in group)
    best = int(np.argmax(overlap))             # argmax keeps the first of equal values: the earlier showing
    if overlap[best] > 0:
        return best
    # No overlap: instant cues, or a sentence in a gap or outside every showing. Nearest showing wins.
    first, last = min(c.start for c in group), max(c.end for c in group)
    span = np.maximum(np.minimum(ends, last) - np.maximum(starts, first), 0.0)
    if span.max() > 0:
        return int(np.argmax(span))
    mid = (first + last) / 2
    inside = (starts <= mid) & (mid < ends)
    if inside.any():
        return int(np.argmax(inside))
    distance = np.maximum(np.maximum(starts - mid, mid - ends), 0.0)
    return int(np.argmin(distance))


def align(showings: list[Showing], cues: list[Cue]) -> list[Showing]:
    """New showings (same order as given) with `cues` and `text` filled from the sentences spoken during each."""
    if not showings:
        return []
    order = sorted(range(len(showings)), key=lambda i: (showings[i].start, showings[i].end, i))
    starts = np.array([showings[i].start for i in order], dtype=float)
    ends = np.array([showings[i].end for i in order], dtype=float)
    buckets: dict[int, list[Cue]] = {i: [] for i in range(len(showings))}
    for group in sentence_groups(cues):
        buckets[order[_home(group, starts, ends)]].extend(group)
    return [replace(s, cues=buckets[i], text=clean_caption_text(" ".join(c.text for c in buckets[i])))
            for i, s in enumerate(showings)]
