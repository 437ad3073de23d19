"""Fast-paced lectures: several showings inside one 10 s GOP, builds a second apart, a clip playing in a slide.

The first four lectures are the ones the finder once got wrong (a build taken for a slide, a change coded as
a keyframe missed, everything after 51 s of the demo merged, build steps under a speaker box taken for slides).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.slides import score
from pipeline.slides import detect_slides
from pipeline.synth import GroundTruth, LectureSpec, demo_spec, make_lecture

CASES = {
    "e2e-640": LectureSpec(duration=40.0, slides=5, size=(640, 360), builds=True, revisits=True, seed=3),
    "bio-720": LectureSpec(duration=60, slides=6, size=(1280, 720), builds=True, revisits=True, seed=5),
    "demo": demo_spec(),
    "short-all": LectureSpec(duration=90, slides=12, size=(1280, 720), builds=True, revisits=True, pip=True,
                             pointer=True, fades=True, seed=12),
    # a slide every 1.5-4 s and builds 0.6-2 s apart, at a small size
    "flip-through": LectureSpec(duration=40, slides=20, size=(640, 360), builds=True, revisits=True, pointer=True,
                                showing_seconds=(1.5, 4.0), build_seconds=(0.6, 2.0), seed=31),
    # a clip plays inside every fourth slide for tens of seconds
    "clip": LectureSpec(duration=90, slides=4, size=(640, 360), clip=True, builds=True, seed=21),
}


def found_vs_truth(name: str, tmp_path: Path) -> tuple[list, GroundTruth]:
    video = tmp_path / f"{name}.mp4"
    truth = make_lecture(video, CASES[name])
    return detect_slides(video, tmp_path / "slides"), truth


@pytest.mark.parametrize("name", list(CASES))
def test_every_change_is_found_once(name, tmp_path):
    showings, truth = found_vs_truth(name, tmp_path)
    p, r, _, err = score([s.start for s in showings[1:]], truth.changes())
    assert (p, r) == (1.0, 1.0), ([(round(s.start, 2), s.image) for s in showings], truth.changes())
    assert err < 0.3
    # returns to a slide point at its first showing and share its picture
    assert [s.repeat_of for s in showings] == [s.repeat_of for s in truth.showings]
    for s in showings:
        if s.repeat_of is not None:
            assert s.image == showings[s.repeat_of].image
    assert len({s.image for s in showings}) == len({s.slide for s in truth.showings})
