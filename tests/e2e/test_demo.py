"""`handouts demo`: what every newcomer runs first must show the product at its best."""

from __future__ import annotations

import json

import pypdfium2 as pdfium

from handouts.cli import main
from pipeline.demo_lecture import ENZYMES


def test_demo_makes_a_real_handout(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    assert main(["demo"]) == 0, capsys.readouterr().err
    out = tmp_path / "handout-demo"
    manifest = json.loads((out / "slides.json").read_text())
    assert "Enzymes" in manifest["title"]
    assert manifest["captions_source"] == "sidecar" and manifest["captions_cleaned"]
    slides = manifest["slides"]
    assert len({s["image"] for s in slides}) == len(ENZYMES), "every slide found once"
    assert [s["repeat_of"] for s in slides].count(None) == len(ENZYMES) and len(slides) == len(ENZYMES) + 1
    assert "activation energy" in " ".join(s["text"] for s in slides).lower()
    assert "um," not in slides[0]["text"].lower(), "fillers are cleaned from the handout"
    stem = next(out.glob("*-handout-notes.pdf")).name.removesuffix("-handout-notes.pdf")
    for suffix in ("-handout-16up.pdf", "-study-table.xlsx", "-questions.pdf", "-mindmap.html"):
        assert (out / f"{stem}{suffix}").exists(), suffix
    notes = pdfium.PdfDocument(str(out / f"{stem}-handout-notes.pdf"))
    text = "".join(notes[i].get_textpage().get_text_range() for i in range(len(notes)))
    assert "induced fit" in text and "cyclooxygenase" in text


def test_key_points_markdown_numbers_slides_not_showings():
    from pipeline.ai.schemas import KeyPoints, SlidePoints
    from pipeline.stages.render import _key_points_markdown
    from pipeline.types import Showing

    showings = [Showing(0, 10, "slide-001.png"), Showing(10, 20, "slide-002.png"),
                Showing(20, 30, "slide-001.png", repeat_of=0), Showing(30, 40, "slide-003.png")]
    kp = KeyPoints(lecture=["Enzymes are catalysts."],
                   slides=[SlidePoints(index=2, points=["Back to the start."]), SlidePoints(index=3, points=["New."])])
    md = _key_points_markdown("Enzymes", kp, showings)
    assert "## Slide 1 (again) · 0:20" in md and "## Slide 3 · 0:30" in md
