"""The real-deck OCR benchmark on a two-page deck typeset here: its rows, CPU split and title."""

from __future__ import annotations

import re

import pytest

from benchmarks import ocr_real


@pytest.fixture
def deck(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format=(142.875, 254.0))
    pdf.set_auto_page_break(False)
    for heading, line in (("Heat Transfer by Conduction", "Lecture 3: Fourier's law"),
                          ("Plane wall", "Steady state gives a linear temperature profile")):
        pdf.add_page()
        pdf.set_font("helvetica", "B", 30)
        pdf.set_xy(15, 40)
        pdf.cell(224, 16, heading, align="C")
        pdf.set_font("helvetica", "", 18)
        pdf.set_xy(15, 62)
        pdf.cell(224, 10, line, align="C")
    path = tmp_path / "conduction.pdf"
    pdf.output(str(path))
    return path


def test_a_deck_gets_cpu_per_slide_and_lecture_hour_a_detection_recognition_split_and_its_title(deck, capsys):
    assert ocr_real.main(["--deck", str(deck), "--size", "640x360", "--repeat", "1", "--peers", ""]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| conduction | ours |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "2" and float(cells[4]) > 0 and cells[10] == "1.00"
    assert cells[11] == "Heat Transfer by Conduction — Lecture 3: Fourier's law"
    cer = float(cells[9].rstrip(" %"))
    assert cer < 10
    split = next(line for line in out.splitlines() if line.startswith("| conduction | 0."))
    det, rec = (float(x) for x in re.findall(r"\| (\d+\.\d+) \(\d+ %\)", split))
    assert det > 0 and rec > 0
    assert "lines / slide" in out


def test_a_missing_deck_is_named(tmp_path, capsys):
    assert ocr_real.main(["--deck", str(tmp_path / "nope.pdf")]) == 2
    assert "nope.pdf" in capsys.readouterr().err
