"""Picture comparison: new slide, build step, same slide under a pointer, masked speaker box."""

from __future__ import annotations

import numpy as np

from pipeline.slides.compare import Change, compare, volatile_mask
from pipeline.slides.options import SlideOptions

OPTS = SlideOptions()
NO_MASK = np.zeros((9, 16), bool)


def slide(lines: list[tuple[int, int]], title: int = 30) -> np.ndarray:
    """A 160x90 white thumbnail with a dark title bar carrying 'text' and gray bullet lines (row, length)."""
    img = np.full((90, 160), 235, np.uint8)
    img[:14] = 60
    img[5:9, 10:10 + title] = 230
    for row, length in lines:
        img[row:row + 3, 12:12 + length] = 70
    return img


def test_new_slide_with_a_new_title_is_new():
    a = slide([(22, 80), (34, 60)], title=30)
    b = slide([(22, 90), (34, 50), (46, 100)], title=60)
    assert compare(a, b, NO_MASK, OPTS).kind is Change.NEW


def test_adding_bullets_is_a_build():
    a = slide([(22, 80)])
    b = slide([(22, 80), (34, 120), (46, 110), (58, 100)])
    d = compare(a, b, NO_MASK, OPTS)
    assert d.kind is Change.ADDED and d.added > 0.9


def test_removing_bullets_is_not_a_build():
    a = slide([(22, 80), (34, 120), (46, 110), (58, 100)])
    b = slide([(22, 80)])
    assert compare(a, b, NO_MASK, OPTS).kind is Change.NEW


def test_a_pointer_dot_changes_nothing():
    a = slide([(22, 80), (34, 60)])
    b = a.copy()
    b[40:43, 100:103] = 90
    assert compare(a, b, NO_MASK, OPTS).kind is Change.SAME


def test_a_speaker_box_that_always_moves_is_masked():
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(10):
        f = slide([(22, 80), (34, 60)])
        f[60:90, 110:160] = rng.integers(0, 255, (30, 50))
        frames.append(f)
    mask = volatile_mask(zip(frames, frames[1:]), OPTS)
    assert mask[6:9, 11:16].all() and mask.sum() <= 20
    # a build step next to the moving box is still a build once the box is masked
    b = frames[-1].copy()
    b[46:49, 12:100] = 70
    assert compare(frames[0], b, mask, OPTS).kind in (Change.ADDED, Change.SAME)
    assert compare(frames[0], b, NO_MASK, OPTS).kind is Change.NEW
