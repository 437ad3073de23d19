"""Real clips of the speech benchmark: cached from a checkout only when they are the files measured, reported as
not run (with how to fetch them) when they are not cached."""

from __future__ import annotations

import hashlib

import pytest
from fpdf import FPDF

from benchmarks import asr

TITLE_AND_BODY = [
    "Deep Learning", "Prof. Some One", "Department of Computer Science and Engineering",
    "Indian Institute of Technology, Madras", "Lecture - 01", "Chapter 5: Faster, higher, stronger",
    "So, this is what the progression was", "right.", "(Refer Slide Time: 00:41)", "In parallel there was research.",
]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pdf(path, lines):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path.read_bytes()


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A checkout holding one lecture (audio and transcript PDF) that REAL_CLIPS knows, and an empty cache."""
    src = tmp_path / "checkout" / "data"
    src.mkdir(parents=True)
    audio = b"\xff\xfb recorded lecture"
    (src / "talk.mp3").write_bytes(audio)
    pdf = _pdf(src / "talk.pdf", TITLE_AND_BODY)
    clip = asr.RealClip("talk", "a recorded talk", "CC BY", "someone/talks", "0123456789ab" + "c" * 28,
                        "data/talk.mp3", _sha(audio), "data/talk.pdf", _sha(pdf))
    monkeypatch.setattr(asr, "REAL_CLIPS", (clip,))
    monkeypatch.setattr(asr, "REAL", tmp_path / "cache")
    return tmp_path / "checkout", audio


def test_lecture_transcript_keeps_only_the_spoken_words():
    assert asr.lecture_transcript("\n".join(TITLE_AND_BODY)) == (
        "So, this is what the progression was right. In parallel there was research.")


def test_a_transcript_without_a_title_block_is_kept_whole():
    text = "Good morning.\n(Refer Time: 02:10)\nToday: fading."
    assert asr.lecture_transcript(text) == "Good morning. Today: fading."


def test_add_real_caches_the_audio_as_it_is_and_the_pdfs_spoken_text(checkout):
    source, audio = checkout
    assert asr.real_clips()[0] == []
    assert asr.add_real(source) == ["talk"]
    assert (asr.REAL / "talk.mp3").read_bytes() == audio
    found, missing = asr.real_clips()
    assert found == [("talk", asr.REAL / "talk.mp3",
                      "So, this is what the progression was right. In parallel there was research.")]
    assert missing == []


def test_a_file_that_is_not_the_one_measured_is_refused(checkout):
    source, _ = checkout
    (source / "data" / "talk.mp3").write_bytes(b"another recording")
    with pytest.raises(SystemExit, match="at commit 0123456789ab"):
        asr.add_real(source)
    assert not (asr.REAL / "talk.mp3").exists()


def test_a_folder_without_any_clip_says_what_it_expected(tmp_path, checkout):
    with pytest.raises(SystemExit, match="github.com/someone/talks"):
        asr.add_real(tmp_path / "checkout" / "data")
    with pytest.raises(SystemExit, match="is not a folder"):
        asr.add_real(tmp_path / "missing")


def test_an_uncached_clip_is_reported_as_not_run_with_how_to_fetch_it(checkout, capsys):
    assert asr.main(["--only", "talk", "--engines", "pocketsphinx"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| talk |"))
    assert "not run: not cached: clone github.com/someone/talks, check out 0123456789ab" in row
    assert "--add-real" in row
