"""Study materials end to end on the embedded default: the offline engine, the cache and the ledger."""

from __future__ import annotations

import json

import openpyxl
import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from handouts.cli import main
from pipeline.synth import LectureSpec, make_lecture


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "data"
    monkeypatch.setenv("HANDOUTS_DATA_DIR", str(d))
    monkeypatch.setenv("HANDOUTS_OFFLINE_ASR", "false")
    return d


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    d = tmp_path_factory.mktemp("lecture")
    make_lecture(d / "enzymes.mp4", LectureSpec(duration=40.0, slides=5, size=(640, 360), srt=True, seed=1))
    return d / "enzymes.mp4"


def _ledger(data_dir):
    from pipeline import db
    from pipeline.models import AIRequest

    engine = db.make_engine(f"sqlite:///{data_dir / 'handouts.db'}")
    with db.make_sessionmaker(engine)() as s:
        rows = list(s.scalars(select(AIRequest).order_by(AIRequest.id)))
    engine.dispose()
    return rows


def test_offline_study_materials_and_a_free_rerun(lecture, data_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["make", str(lecture), "-o", str(out)]) == 0, capsys.readouterr().err
    names = {p.name for p in out.iterdir()}
    stem = json.loads((out / "slides.json").read_text())["title"]
    assert any(n.endswith("-study-table.xlsx") for n in names), names
    for suffix in ("-questions.pdf", "-mindmap.svg", "-mindmap.png", "-mindmap.html", "-key-points.md",
                   "-study.json", "-handout-16up.pdf", "-handout-notes.pdf"):
        assert any(n.endswith(suffix) for n in names), (suffix, names)
    assert stem

    xlsx = next(out.glob("*-study-table.xlsx"))
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    header = [c.value for c in ws[2] if c.value]
    assert header[:2] == ["Concept", "Definition / key facts"]
    assert ws.max_row >= 3, "the table has rows"

    quiz = pdfium.PdfDocument(str(next(out.glob("*-questions.pdf"))))
    pages = [quiz[i].get_textpage().get_text_range() for i in range(len(quiz))]
    key_page = next(i for i, t in enumerate(pages) if "Answer key" in t)
    assert key_page >= 1 and "A." in pages[0] and "E." in pages[0]
    html = next(out.glob("*-mindmap.html")).read_text()
    assert "<svg" in html and "http://" not in html and "https://" not in html

    first = _ledger(data_dir)
    # every task ran once (the title task only when the slides gave no deck title, which wins over it)
    assert {r.prompt_name for r in first} >= {"clean_captions", "key_points", "study_table", "vignettes", "mindmap"}
    assert not any(r.cached for r in first)
    assert {r.engine for r in first} == {"offline"} and sum(r.cost_usd for r in first) == 0

    # the same lecture again: every answer comes from the cache
    assert main(["make", str(lecture), "-o", str(tmp_path / "again")]) == 0
    second = _ledger(data_dir)[len(first):]
    assert second and all(r.cached for r in second)
    capsys.readouterr()
    assert main(["ai", "costs"]) == 0
    costs = capsys.readouterr().out
    n = len(first)  # calls, of which the re-run's half were cached
    assert "extractive-v1" in costs and f"{2 * n:>2}       {n}" in costs
    assert main(["ai", "cache", "clear", "--prompt", "study_table"]) == 0
    assert "removed 1" in capsys.readouterr().out


def test_medical_profile_says_what_the_offline_engine_cannot_fill(lecture, data_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["make", str(lecture), "-o", str(out), "--profile", "medical-step1"]) == 0
    said = capsys.readouterr()
    assert "cannot fill the columns Disease | Etiology / risk factors" in said.out + said.err
    assert not list(out.glob("*-study-table.xlsx"))         # no "Disease: Protein" row


def test_unknown_profile_is_refused_before_any_work(lecture, data_dir, tmp_path, capsys):
    assert main(["make", str(lecture), "-o", str(tmp_path / "out"), "--profile", "nope"]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and "medical-step1" in err
    assert not (tmp_path / "out").exists()
