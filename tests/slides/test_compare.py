"""Picture comparison: new slide, build step, same slide under a pointer, masked speaker box."""

from __future__ import annotations

import numpy as np

from pipeline.slides.compare import Change, compare, volatile_mask
from pipeline.slides.options import SlideOptions
from pipeline.slides.room import ROOM_THUMB, Screen

OPTS = SlideOptions()
NO_MASK = np.zeros((9, 16), bool)
ROOM_NO_MASK = np.zeros((18, 32), bool)


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


# -- a room camera: the lecturer walking in front of a nearly blank slide ----------------------------------

ROOM = SlideOptions(screen=Screen(((40, 20), (600, 40), (590, 300), (50, 330))), thumb_size=ROOM_THUMB)


def title_page(seed: int = 3) -> np.ndarray:
    """A straightened room thumbnail (320x180) of a title page: faint projected text on a plain background."""
    gen = np.random.default_rng(seed)
    img = np.full((180, 320), 150, np.uint8)
    for top, left, length in ((30, 60, 200), (46, 100, 120), (70, 130, 60), (88, 120, 80)):
        x = left
        while x < left + length:    # letters: strokes of random height and spacing, 30 levels darker
            h = int(gen.integers(3, 8))
            img[top + 8 - h:top + 8, x:x + 2] = 120
            x += int(gen.integers(3, 7))
    return img


def with_lecturer(img: np.ndarray, x: int) -> np.ndarray:
    out = img.copy()
    out[75:, x:x + 26] = 30         # the body, from the screen's lower edge
    out[52:75, x + 7:x + 19] = 90   # the head
    return out


def test_a_lecturer_stepping_in_front_of_a_title_page_changes_nothing():
    # lined up on the whole picture, the body's edges are the strongest contrast: the shift found follows
    # the lecturer's step and puts the slide's text five pixels out of line, which reads as new text
    page = title_page()
    before, after = with_lecturer(page, 40), with_lecturer(page, 45)
    assert compare(before, after, ROOM_NO_MASK, ROOM).kind is Change.SAME
    assert compare(after, before, ROOM_NO_MASK, ROOM).kind is Change.SAME


def test_a_camera_knock_is_still_lined_up_beside_the_lecturer():
    page = title_page()
    knocked = np.roll(with_lecturer(page, 45), (2, -3), axis=(0, 1))
    assert compare(with_lecturer(page, 40), knocked, ROOM_NO_MASK, ROOM).kind is Change.SAME


def test_a_new_title_page_behind_the_lecturer_is_new():
    before, after = with_lecturer(title_page(3), 40), with_lecturer(title_page(4), 45)
    assert compare(before, after, ROOM_NO_MASK, ROOM).kind is Change.NEW
