"""The synthetic lecture maker: a playable MP4 whose ground truth is consistent with itself."""

from __future__ import annotations

import av
import pytest

from pipeline.synth import LectureSpec, demo_spec, make_lecture


def test_lecture_has_truth_captions_audio_and_subtitles(tmp_path):
    spec = LectureSpec(duration=12.0, slides=4, size=(320, 180), revisits=True, builds=True, audio=True,
                       srt=True, embed_captions=True, seed=1)
    truth = make_lecture(tmp_path / "l.mp4", spec)
    shows = truth.showings
    assert shows[0].start == 0.0 and shows[-1].end == 12.0
    assert all(a.end == b.start and a.slide != b.slide for a, b in zip(shows, shows[1:]))
    assert {s.slide for s in shows} == set(range(4))
    for k, s in enumerate(shows):
        if s.repeat_of is not None:
            assert shows[s.repeat_of].slide == s.slide and s.repeat_of < k
    assert truth.changes() == [s.start for s in shows[1:]]
    assert truth.cues and truth.cues[0].start == 0.0 and truth.cues[-1].end <= 12.0
    srt = truth.srt_path.read_text()
    assert srt.startswith("1\n00:00:00,000 --> ") and truth.cues[1].text in srt
    with av.open(str(tmp_path / "l.mp4")) as c:
        kinds = sorted(s.type for s in c.streams)
        assert kinds == ["audio", "subtitle", "video"]
        assert c.streams.subtitles[0].codec_context.name == "mov_text"
        assert c.duration / 1e6 == pytest.approx(12.0, abs=0.2)
        texts = [str(sub) for p in c.demux(c.streams.subtitles[0]) for sub in p.decode()]
        assert len(texts) >= len(truth.cues)


def test_demo_spec_is_short_with_sidecar():
    spec = demo_spec()
    assert 60 <= spec.duration <= 120 and spec.srt and spec.size == (1280, 720)


def test_odd_size_is_refused(tmp_path):
    with pytest.raises(ValueError):
        make_lecture(tmp_path / "x.mp4", LectureSpec(size=(321, 180), duration=1.0))


def test_room_camera_films_the_screen_at_an_angle_with_a_walking_lecturer(tmp_path):
    from tests.slides.test_detect import frame_at
    path = tmp_path / "room.mp4"
    make_lecture(path, LectureSpec(duration=40.0, slides=2, size=(320, 180), room=True, seed=1))
    early, late = frame_at(path, 1.0).astype(int), frame_at(path, 30.0).astype(int)
    # the wall around the screen: the corners are the dim wall colour, not the slide
    for y, x in ((2, 2), (177, 2), (2, 317), (177, 317)):
        assert abs(early[y, x] - (88, 80, 72)).max() < 25
    # the lecturer has moved: the dark silhouette is in other columns
    dark_early = (early[150].sum(axis=1) < 120).nonzero()[0]
    dark_late = (late[150].sum(axis=1) < 120).nonzero()[0]
    assert len(dark_early) and len(dark_late) and abs(dark_early.mean() - dark_late.mean()) > 20
