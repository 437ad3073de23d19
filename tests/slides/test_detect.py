"""The slide finder on short synthetic lectures with known slide timings."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.errors import Cancelled, CorruptMedia, NoVideoStream
from pipeline.slides import SlideOptions, detect_slides
from pipeline.synth import GroundTruth, LectureSpec, make_lecture
from tests.fakes.media import make_clip

SMALL = (640, 360)


def lecture(tmp_path_factory, name: str, **flags) -> tuple[Path, GroundTruth]:
    spec = LectureSpec(**{"duration": 40.0, "slides": 5, "size": SMALL, "keyint": 45, "seed": 3, **flags})
    path = tmp_path_factory.mktemp(name) / f"{name}.mp4"
    return path, make_lecture(path, spec)


def run(path: Path, tmp_path: Path):
    out = tmp_path / "slides"
    return detect_slides(path, out), out


def assert_matches(showings, truth: GroundTruth, tol: float) -> None:
    """Same number of showings, contiguous over the whole video, each change within tol seconds."""
    assert len(showings) == len(truth.showings), [(s.start, s.image) for s in showings]
    assert showings[0].start == 0.0
    assert showings[-1].end == pytest.approx(truth.duration, abs=0.2)
    for a, b in zip(showings, showings[1:]):
        assert a.end == b.start
    for got, want in zip(showings[1:], truth.showings[1:]):
        assert got.start == pytest.approx(want.start, abs=tol)


def frame_at(path: Path, t: float) -> np.ndarray:
    """The decoded RGB frame shown at time t."""
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            if frame.time >= t:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t}")


@pytest.fixture(scope="module")
def cuts(tmp_path_factory):
    return lecture(tmp_path_factory, "cuts")


def test_cuts_found_on_the_frame(cuts, tmp_path):
    path, truth = cuts
    showings, out = run(path, tmp_path)
    assert_matches(showings, truth, tol=0.2)
    images = sorted(out.glob("slide-*.png"))
    assert [p.name for p in images] == [f"slide-{i:03d}.png" for i in range(1, 6)]
    assert Image.open(images[0]).size == SMALL
    assert all(s.repeat_of is None and not s.cues and s.text == "" for s in showings)
    assert all(s.covered is None for s in showings)     # nothing hides any part of these slides


def test_builds_are_one_slide_and_keep_the_final_state(tmp_path_factory, tmp_path):
    path, truth = lecture(tmp_path_factory, "builds", builds=True, seed=4)
    showings, out = run(path, tmp_path)
    assert_matches(showings, truth, tol=0.3)
    built = next(k for k, s in enumerate(truth.showings) if s.builds)
    t = truth.showings[built]
    saved = np.asarray(Image.open(out / showings[built].image).convert("RGB")).astype(int)
    final = frame_at(path, t.end - 0.3).astype(int)
    first_step = frame_at(path, t.builds[0] - 0.3).astype(int)
    # the saved picture is the fully built slide, not an early step
    assert np.abs(saved - final).mean() < 2.0
    assert np.abs(saved - first_step).mean() > 3 * np.abs(saved - final).mean()


def test_fades_change_in_the_middle_without_extra_slides(tmp_path_factory, tmp_path):
    path, truth = lecture(tmp_path_factory, "fades", fades=True, seed=5)
    showings, _ = run(path, tmp_path)
    assert_matches(showings, truth, tol=0.5)


def test_pip_and_pointer_are_ignored(tmp_path_factory, tmp_path):
    path, truth = lecture(tmp_path_factory, "pip", pip=True, pointer=True, noise=True, seed=6)
    showings, out = run(path, tmp_path)
    assert_matches(showings, truth, tol=0.3)
    assert len(list(out.glob("slide-*.png"))) == 5


def test_a_still_speaker_box_is_recorded_as_covered(tmp_path_factory, tmp_path):
    path, truth = lecture(tmp_path_factory, "pipbox", pip=True, seed=7)
    showings, out = run(path, tmp_path)
    assert_matches(showings, truth, tol=0.3)
    # synth puts the speaker at x 0.775-0.975, y 0.775-0.975 of the frame
    for s in showings:
        x0, y0, x1, y1 = s.covered
        assert x0 <= 0.775 and y0 <= 0.775 and x1 >= 0.975 and y1 >= 0.975
        assert (x1 - x0) * (y1 - y0) < 0.15     # the box, not the slide
        assert s.to_json()["covered"] == [x0, y0, x1, y1]
    # the region recorded is where the saved image really shows the speaker, not the slide's background
    img = np.asarray(Image.open(out / showings[0].image).convert("L")).astype(int)
    h, w = img.shape
    x0, y0, x1, y1 = showings[0].covered
    inside = img[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)]
    assert inside.std() > 2 * img[:int(y0 * h), :int(x0 * w)].std() or abs(inside.mean() - img.mean()) > 10


def test_revisits_point_at_the_first_showing_and_share_its_image(tmp_path_factory, tmp_path):
    path, truth = lecture(tmp_path_factory, "revisits", revisits=True, slides=6, duration=50.0, seed=2)
    assert any(s.repeat_of is not None for s in truth.showings)
    showings, out = run(path, tmp_path)
    assert_matches(showings, truth, tol=0.3)
    assert [s.repeat_of for s in showings] == [s.repeat_of for s in truth.showings]
    for s in showings:
        if s.repeat_of is not None:
            assert s.image == showings[s.repeat_of].image
    assert len(list(out.glob("slide-*.png"))) == 6


def test_one_static_slide_is_one_showing(tmp_path_factory, tmp_path):
    path, truth = lecture(tmp_path_factory, "static", slides=1, duration=20.0)
    showings, out = run(path, tmp_path)
    assert len(showings) == 1
    assert (showings[0].start, showings[0].end) == (0.0, pytest.approx(20.0, abs=0.1))
    assert (out / showings[0].image).exists()


def test_a_one_second_video_works(tmp_path_factory, tmp_path):
    path, _ = lecture(tmp_path_factory, "short", slides=1, duration=1.0)
    showings, _ = run(path, tmp_path)
    assert len(showings) == 1 and showings[0].end == pytest.approx(1.0, abs=0.1)


def test_progress_reaches_the_end_and_cancel_stops(cuts, tmp_path):
    path, _ = cuts
    seen = []
    detect_slides(path, tmp_path / "a", progress=lambda f, m="": seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)

    def cancel():
        raise Cancelled()
    with pytest.raises(Cancelled):
        detect_slides(path, tmp_path / "b", cancel_check=cancel)


def test_audio_only_file_is_no_video_stream(tmp_path):
    clip = make_clip(tmp_path / "talk.m4a", video=False, audio="tone", container="mp4")
    with pytest.raises(NoVideoStream):
        detect_slides(clip, tmp_path / "out")


def test_garbage_is_corrupt_media(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(CorruptMedia) as e:
        detect_slides(bad, tmp_path / "out")
    assert "bad.mp4" in e.value.message


def test_damaged_picture_data_is_corrupt_media(cuts, tmp_path):
    path, _ = cuts
    data = bytearray(path.read_bytes())
    # PyAV writes the index (moov) at the end: wipe the picture data before it and keep the index
    moov = data.rfind(b"moov")
    data[64:moov - 8] = bytes(moov - 72)
    bad = tmp_path / "wiped.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(CorruptMedia):
        detect_slides(bad, tmp_path / "out")


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """No B-frames, no scene-cut keyframes, 10 s GOPs: every change falls inside a GOP."""
    return lecture(tmp_path_factory, "plain", preset="ultrafast", keyint=150, builds=True, seed=8)


@pytest.mark.parametrize("opts", [SlideOptions(), SlideOptions(spike_ratio=1e9)],
                         ids=["spikes", "no-spikes-gop-decode"])
def test_changes_inside_long_gops(plain, tmp_path, opts):
    path, truth = plain
    showings = detect_slides(path, tmp_path / "s", options=opts)
    assert_matches(showings, truth, tol=0.2)
