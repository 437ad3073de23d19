"""The room camera's fast paths give the same numbers as the plain numpy forms they replace, and the scan's
thumbnails stay within their memory bound whatever their size."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.slides import SlideOptions
from pipeline.slides.compare import _best_shift, _block_grid, _spread, block_sums, ink_share, median_level
from pipeline.slides.room import ROOM_THUMB, Screen, _median_sum, straight_thumbnail
from pipeline.slides.scan import MAX_THUMB_BYTES, MAX_THUMBS, max_thumbs

rng = np.random.default_rng(7)


def _reference_shift(a, b, reach, step, around=(0, 0)):
    """The search as a loop over shifts: the definition the vectorised one must match."""
    h, w = a.shape
    m = reach + max(abs(around[0]), abs(around[1]))
    core = a[m:h - m:step, m:w - m:step].astype(np.int64)
    best, best_err = around, None
    for dy in range(around[0] - reach, around[0] + reach + 1):
        for dx in range(around[1] - reach, around[1] + reach + 1):
            err = int(np.abs(core - b[m + dy:h - m + dy:step, m + dx:w - m + dx:step]).sum())
            if best_err is None or err < best_err or (err == best_err and abs(dx) + abs(dy) < sum(map(abs, best))):
                best, best_err = (dy, dx), err
    return best


@pytest.mark.parametrize("shape", [(180, 320), (90, 160), (37, 53)])
def test_block_sums_match_a_two_axis_sum(shape):
    x = rng.integers(0, 256, shape).astype(np.float32)
    hb, wb = shape[0] // 10, shape[1] // 10
    ref = x[:hb * 10, :wb * 10].reshape(hb, 10, wb, 10).sum(axis=(1, 3))
    assert np.array_equal(block_sums(x, 10, hb, wb), ref)
    sq = x * x      # the largest sums the room comparison takes stay exact in float32
    assert np.array_equal(block_sums(sq, 10, hb, wb), sq[:hb * 10, :wb * 10].reshape(hb, 10, wb, 10).sum(axis=(1, 3)))


@pytest.mark.parametrize("shape", [(180, 320), (1, 1), (1, 2), (3, 5), (90, 160)])
def test_medians_from_histograms_equal_np_median(shape):
    for img in (rng.integers(0, 256, shape).astype(np.uint8), np.full(shape, 37, np.uint8),
                rng.integers(0, 3, shape).astype(np.uint8) * 120):
        assert median_level(img) == float(np.median(img))
        assert median_level(img.astype(np.int16)) == float(np.median(img))
    sums = rng.integers(0, 1021, shape).astype(np.uint16)
    assert _median_sum(sums) == float(np.median(sums))


def test_spread_is_the_3x3_min_and_max():
    img = rng.integers(0, 256, (23, 31)).astype(np.int16)
    p = np.pad(img, 1, mode="edge")
    views = [p[dy:dy + 23, dx:dx + 31] for dy in range(3) for dx in range(3)]
    lo, hi = _spread(img)
    assert np.array_equal(lo, np.minimum.reduce(views)) and np.array_equal(hi, np.maximum.reduce(views))


def test_shift_search_matches_the_loop_and_finds_a_knock():
    base = rng.integers(0, 256, (180, 320)).astype(np.int16)
    for shift in [(0, 0), (1, -2), (-3, 4), (2, 2)]:
        moved = np.roll(base, shift, axis=(0, 1))
        for args in ((base[::2, ::2], moved[::2, ::2], 2, 2), (base, moved, 1, 3, shift), (base, moved, 1, 2)):
            assert _best_shift(*args) == _reference_shift(*args)
        assert _best_shift(base, moved, 1, 3, shift) == shift
    flat = np.full((40, 60), 9, np.int16)       # every shift ties: the smallest one wins
    assert _best_shift(flat, flat, 2, 2, (1, 1)) == _reference_shift(flat, flat, 2, 2, (1, 1)) == (0, 0)


def test_ink_share_counts_blocks_with_spread():
    a = np.full((90, 160), 200, np.uint8)
    b = a.copy()
    b[0:10, 0:10] = rng.integers(0, 256, (10, 10))     # one inked block of 144
    b[10:20, 10:20] = 180                               # a plain block at another level is no ink
    assert ink_share(a, b, SlideOptions()) == pytest.approx(1 / 144)
    assert ink_share(a, a, SlideOptions()) == 0.0


def test_a_repeated_room_comparison_reuses_its_grid():
    opts = SlideOptions(screen=Screen(((10, 10), (300, 12), (298, 170), (12, 168))), thumb_size=ROOM_THUMB)
    a = rng.integers(0, 256, (180, 320)).astype(np.uint8)
    b = rng.integers(0, 256, (180, 320)).astype(np.uint8)
    first, px1 = _block_grid(a, b, opts)
    again, px2 = _block_grid(a, b, opts)
    assert again is first and px2() is px1()
    other, _ = _block_grid(a, b.copy(), opts)       # an equal array of another identity is worked out anew
    assert other is not first and np.array_equal(other, first)


def test_straight_thumbnail_averages_its_samples():
    fw, fh = 640, 360
    luma = np.zeros((fh, fw), np.uint8)
    luma[:, fw // 3:] = 200
    opts = SlideOptions(screen=Screen(((0, 0), (fw, 0), (fw, fh), (0, fh))), thumb_size=ROOM_THUMB)
    thumb = straight_thumbnail(luma.ravel(), fw, fw, fh, opts)
    assert thumb.shape == (180, 320) and thumb.dtype == np.uint8
    # the median (200: two thirds of the screen) is scaled to 150; the dark third (less the 3 % inset) stays black
    assert thumb[:, :95].max() == 0 and thumb[:, 115:].min() == 150 == thumb[:, 115:].max()
    edge = thumb[:, 95:115]
    # the edge between them is the same on every row and only rises (2x2 samples averaged across it)
    assert (edge[0] == edge).all() and (np.diff(edge[0].astype(int)) >= 0).all()


def test_thumbnails_stay_within_the_memory_bound():
    assert max_thumbs(SlideOptions()) == MAX_THUMBS            # screen recordings keep their 4,000
    room = SlideOptions(thumb_size=ROOM_THUMB)
    n = max_thumbs(room)
    assert n * ROOM_THUMB[0] * ROOM_THUMB[1] <= MAX_THUMB_BYTES < (n + 1) * ROOM_THUMB[0] * ROOM_THUMB[1]
    # a 60-minute room recording is still scanned every 4 s (its 900 keyframes fit)
    assert 3600 / n <= SlideOptions().min_scan_gap


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    from pipeline.synth_room import RoomSpec, make_room_lecture
    path = tmp_path_factory.mktemp("room-speed") / "room.mp4"
    make_room_lecture(path, RoomSpec(duration=40.0, size=(640, 360), fps=8, seed=3))
    return path


def _run_counting(path, out, monkeypatch):
    """Showing starts and images, and how many thumbnails the finder made."""
    from pipeline.slides import detect, detect_slides
    made = []
    real = detect.thumbnail
    monkeypatch.setattr(detect, "thumbnail", lambda frame, opts: made.append(1) or real(frame, opts))
    showings = detect_slides(path, out)
    return [(round(s.start, 3), s.image, s.repeat_of) for s in showings], len(made)


def test_frames_passed_over_on_a_room_camera_change_no_showing(lecture, tmp_path, monkeypatch):
    """Spike windows that end on their slide are not looked at frame by frame, nor are quiet stretches of a
    walk; the showings (starts to the frame, images, returns) are those of looking at every frame."""
    from pipeline.slides import detect
    fast, fast_thumbs = _run_counting(lecture, tmp_path / "fast", monkeypatch)
    monkeypatch.setattr(detect, "_PROBE_FRAMES", 0)     # every window walked ...
    monkeypatch.setattr(detect, "_STRIDE", 1)           # ... frame by frame, as before
    plain, plain_thumbs = _run_counting(lecture, tmp_path / "plain", monkeypatch)
    assert fast == plain and len(fast) > 3
    assert fast_thumbs < 0.5 * plain_thumbs


@pytest.mark.parametrize("frame_threads", [True, False])
def test_seeking_into_a_gop_gives_the_frames_a_full_decode_gives(lecture, frame_threads):
    import av
    from pipeline.slides.scan import scan_video
    from pipeline.slides.seek import Seeker
    scan = scan_video(lecture, SlideOptions(), lambda *a: None, lambda: None)
    with av.open(str(lecture)) as c:
        c.streams.video[0].thread_type = "AUTO"
        assert c.streams.video[0].codec_context.has_b_frames
        full = {scan.index_of(f.pts): f.to_ndarray(format="gray") for f in c.decode(video=0)}
    seeker = Seeker(lecture, scan, frame_threads=frame_threads)
    try:
        keys = np.flatnonzero(scan.key)
        ranges = [(int(keys[1]) + 20, int(keys[1]) + 26), (int(keys[1]) + 40, int(keys[1]) + 40),
                  (int(keys[2]) + 7, int(keys[2]) + 12), (3, 5)]
        for first, last in ranges:
            got = [(i, f.to_ndarray(format="gray")) for i, f in seeker.frames(first, last)]
            assert [i for i, _ in got] == list(range(first, last + 1))
            for i, picture in got:
                assert np.array_equal(picture, full[i])
    finally:
        seeker.close()
    # the B-frames before a frame deep in a GOP are skipped (nothing refers to them): only the chain of
    # reference frames from the keyframe is decoded
    seeker = Seeker(lecture, scan, frame_threads=frame_threads)
    try:
        deep = int(keys[1]) + 40
        assert [i for i, _ in seeker.frames(deep, deep)] == [deep]
        assert seeker.decoded < 0.6 * 41
    finally:
        seeker.close()


def test_a_straightened_part_is_that_crop_of_the_whole():
    from PIL import Image
    from pipeline.slides.room import straighten_image
    picture = Image.fromarray(rng.integers(0, 256, (360, 640, 3)).astype(np.uint8))
    screen = Screen(((90.5, 40.0), (560.0, 62.25), (541.0, 318.0), (102.0, 300.5)))
    whole = np.asarray(straighten_image(picture, screen))
    for box in [(0, 0, 640, 360), (100, 50, 300, 200), (13, 7, 77, 91), (600, 300, 640, 360)]:
        part = np.asarray(straighten_image(picture, screen, box))
        assert np.array_equal(part, whole[box[1]:box[3], box[0]:box[2]])


def test_facts_kept_per_thumbnail_give_the_same_comparisons(lecture):
    """A thumbnail's level and spread are kept between comparisons; every result equals a fresh one."""
    import av
    from dataclasses import replace as copy
    from pipeline.slides import compare as C
    from pipeline.slides.room import find_screen
    from pipeline.slides.scan import thumbnail
    opts = copy(SlideOptions(), screen=find_screen(lecture), thumb_size=ROOM_THUMB)
    with av.open(str(lecture)) as c:
        thumbs = [thumbnail(f, opts) for n, f in enumerate(c.decode(video=0)) if n % 23 == 0]
    mask = np.zeros((18, 32), bool)

    def fresh(a, b):
        C._local.__dict__.clear()
        return C.compare(a, b, mask, opts), C.changed_blocks(a, b, opts, keep_objects=True)

    pairs = [(0, 1), (0, 2), (2, 0), (1, 2), (0, len(thumbs) - 1), (len(thumbs) - 1, 0), (3, 4), (4, 3)]
    expected = [fresh(thumbs[i], thumbs[j]) for i, j in pairs]
    C._local.__dict__.clear()
    got = [(C.compare(thumbs[i], thumbs[j], mask, opts),
            C.changed_blocks(thumbs[i], thumbs[j], opts, keep_objects=True)) for i, j in pairs]
    assert all(d1 == d2 and np.array_equal(b1, b2) for (d1, b1), (d2, b2) in zip(got, expected))
    assert {d.kind for d, _ in expected} >= {C.Change.SAME, C.Change.NEW}
    assert len(C._local.facts) > 0


def test_the_sample_map_is_the_homography_at_every_sample():
    from pipeline.slides import room as R
    for corners in (((90.5, 40.0), (560.0, 62.25), (541.0, 318.0), (102.0, 300.5)),
                    ((10.0, 5.0), (630.0, 0.0), (640.0, 360.0), (0.0, 350.0))):
        screen = Screen(corners)
        R._maps.clear()
        got = R._sample_map(screen, 640, 360, 704, (320, 180))
        H = screen.homography(320, 180, R._INSET)
        u = (np.arange(640) + 0.5) / 2
        v = (np.arange(360) + 0.5) / 2
        uu, vv = np.meshgrid(u, v)
        p = H @ np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)])
        x = np.clip(np.rint(p[0] / p[2]), 0, 639).astype(np.int64).reshape(360, 640)
        y = np.clip(np.rint(p[1] / p[2]), 0, 359).astype(np.int64).reshape(360, 640)
        want = y * 704 + x
        # sample k of thumbnail pixel (r, c) is supersample (2r + k // 2, 2c + k % 2)
        for k in range(4):
            assert np.array_equal(got[k], want[k // 2::2, k % 2::2])


def _reference_objects(blocks):
    """objects() by its definition: 8-connected patches by label spreading, then the same two shape tests."""
    from pipeline.slides.compare import _OBJECT_WIDTH
    hb, wb = blocks.shape
    labels = np.where(blocks, np.arange(blocks.size).reshape(blocks.shape), blocks.size)
    while True:
        p = np.pad(labels, 1, constant_values=blocks.size)
        low = np.minimum.reduce([p[dy:dy + hb, dx:dx + wb] for dy in range(3) for dx in range(3)])
        new = np.where(blocks, low, blocks.size)
        if np.array_equal(new, labels):
            break
        labels = new
    out = np.zeros_like(blocks)
    for lab in np.unique(labels[blocks]):
        rows, cols = np.nonzero(labels == lab)
        width, height = cols.max() - cols.min() + 1, rows.max() - rows.min() + 1
        if (rows.max() >= hb - 1 - hb // 8 and width <= max(2, int(_OBJECT_WIDTH * wb))) or \
                (width <= wb // 4 and height <= hb // 3 and len(rows) <= hb * wb // 18):
            out[rows, cols] = True
    return out


def test_objects_are_the_patches_shaped_like_a_person_or_an_inset():
    from pipeline.slides.compare import objects
    for share in (0.05, 0.15, 0.3, 0.5):
        for _ in range(20):
            blocks = rng.random((18, 32)) < share
            assert np.array_equal(objects(blocks), _reference_objects(blocks))
    body = np.zeros((18, 32), bool)
    body[6:, 10:14] = True              # a lecturer standing in front: a column from the lower edge
    body[8, 28] = True                  # and a stray blob
    body[0:3, 0:30] = True              # a changed title band, wider than any person: stays a change
    found = objects(body)
    assert found[6:, 10:14].all() and found[8, 28] and not found[0:3, 0:30].any()
