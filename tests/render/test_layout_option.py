"""`handouts make|demo --layout`: the option reaches the render stage through the job's options."""

from __future__ import annotations

import pytest

from handouts.cli import main

from .pdfread import all_text, page_count


def test_demo_with_the_6up_layout_makes_only_that_handout(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--layout", "6up", "--no-ai"]) == 0, capsys.readouterr().err
    handouts = sorted(p.name for p in out.glob("*-handout-*.pdf"))
    assert len(handouts) == 1 and handouts[0].endswith("-handout-6up.pdf")
    pdf = out / handouts[0]
    assert page_count(pdf) == 2  # the demo's eight showings, six a page
    assert "activation energy" in all_text(pdf).lower()


def test_an_unknown_layout_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(SystemExit) as stop:
        main(["make", str(tmp_path / "missing.mp4"), "--layout", "9up"])
    assert stop.value.code == 2
    assert "invalid choice: '9up'" in capsys.readouterr().err
