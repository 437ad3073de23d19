"""`handouts make` end to end on the embedded default: real store, real queue (inline), real stages."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from handouts.cli import main
from pipeline.synth import LectureSpec, make_lecture
from tests.fakes.media import make_clip


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "data"
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(d))
    monkeypatch.setenv("HANDOUTS_OFFLINE_ASR", "false")
    monkeypatch.setenv("HANDOUTS_STAGE_RETRY_DELAY", "0")
    return d


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    """A 40-second lecture with builds, a revisit and a sidecar SRT."""
    d = tmp_path_factory.mktemp("lecture")
    truth = make_lecture(d / "cell-biology_week-3.mp4",
                         LectureSpec(duration=40.0, slides=5, size=(640, 360), builds=True, revisits=True,
                                     audio=True, srt=True, seed=3))
    return d / "cell-biology_week-3.mp4", truth


def _pdf_text(path: Path) -> str:
    doc = pdfium.PdfDocument(str(path))
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_make_writes_every_artifact(lecture, data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HANDOUTS_OCR_ENGINE", "off")  # no slide text: the title comes from the file name
    video, truth = lecture
    out = tmp_path / "out"
    assert main(["make", str(video), "-o", str(out), "--no-ai"]) == 0, capsys.readouterr().err
    names = sorted(p.name for p in out.iterdir())
    stem = "cell-biology-week-3"
    assert {f"{stem}-handout-16up.pdf", f"{stem}-handout-notes.pdf", "slides.json"} <= set(names), names
    manifest = json.loads((out / "slides.json").read_text())
    slides = manifest["slides"]
    assert len(slides) == len(truth.showings)
    for got, want in zip(slides, truth.showings):
        assert abs(got["start"] - want.start) <= 1.0 and abs(got["end"] - want.end) <= 1.0
        assert (out / got["image"]).exists()
    repeats = [s for s in slides if s["repeat_of"] is not None]
    assert repeats and all(slides[r["repeat_of"]]["image"] == r["image"] for r in repeats)
    # every caption is in the handout, in the slide where it was spoken
    spoken = " ".join(s["text"] for s in slides)
    for cue in truth.cues:
        assert cue.text.split()[0] in spoken
    assert manifest["captions_source"] == "sidecar"
    text = _pdf_text(out / f"{stem}-handout-notes.pdf")
    assert truth.cues[0].text.split()[0] in text
    assert "Cell biology week 3" in capsys.readouterr().out


def test_make_with_explicit_captions_and_title(lecture, data_dir, tmp_path):
    video, truth = lecture
    alone = tmp_path / "alone.mp4"
    alone.write_bytes(video.read_bytes())  # no sidecar beside this copy
    vtt = tmp_path / "words.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nMitochondria make ATP.\n")
    out = tmp_path / "out"
    assert main(["make", str(alone), "-o", str(out), "--captions", str(vtt), "--title", "Energy", "--no-ai"]) == 0
    manifest = json.loads((out / "slides.json").read_text())
    assert manifest["title"] == "Energy" and "Mitochondria make ATP." in manifest["slides"][0]["text"]


def test_video_without_audio_is_not_an_error(data_dir, tmp_path, capsys):
    clip = make_clip(tmp_path / "silent.mp4", seconds=4, colours=[(250, 250, 250), (20, 40, 160)], audio=None)
    out = tmp_path / "out"
    assert main(["make", str(clip), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no audio" in printed
    assert json.loads((out / "slides.json").read_text())["captions_source"] == "none"


@pytest.mark.parametrize("name,content,needle", [
    ("missing.mp4", None, "missing.mp4"),
    ("empty.mp4", b"", "empty"),
    ("page.mp4", b"<!doctype html><html><body>Sign in</body></html>", "HTML"),
    ("notes.mp4", b"just some text, not a video at all\n" * 20, "not a video"),
])
def test_bad_input_fails_with_a_specific_message(data_dir, tmp_path, capsys, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code = main(["make", str(path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.startswith("handouts: failed at fetch:") and needle.lower() in err.lower(), err
    assert not (tmp_path / "out").exists()
    assert not list((data_dir / "files").rglob("*.mp4")), "nothing half-written is left in storage"


def test_truncated_video_fails_cleanly(lecture, data_dir, tmp_path, capsys):
    video, _ = lecture
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    assert main(["make", str(cut), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "failed at fetch" in err and ("truncat" in err.lower() or "corrupt" in err.lower() or "cut" in err.lower())


def test_audio_only_file_is_refused(data_dir, tmp_path, capsys):
    clip = make_clip(tmp_path / "podcast.mp4", seconds=2, video=False)
    assert main(["make", str(clip), "-o", str(tmp_path / "out")]) == 1
    assert "no video stream" in capsys.readouterr().err.lower()


def test_failed_job_keeps_its_stage_records(data_dir, tmp_path, capsys):
    (tmp_path / "x.mp4").write_bytes(b"")
    main(["make", str(tmp_path / "x.mp4"), "-o", str(tmp_path / "out")])
    capsys.readouterr()
    assert main(["status"]) == 0
    job_id = capsys.readouterr().out.split()[0]
    assert main(["status", job_id]) == 0
    shown = capsys.readouterr().out
    assert "failed" in shown and "fetch" in shown and "attempt 1" in shown
