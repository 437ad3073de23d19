"""Odd lectures: empty, one slide, slides without speech, very long slides, other scripts; and determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.ai.offline import analysis
from pipeline.ai.schemas import TASKS, LectureInput
from pipeline.errors import AIOutputInvalid

from .conftest import mermaid
from .samples import BIOLOGY, COMPUTING, MEDICAL_COLUMNS, MEDICINE, UNPUNCTUATED, lecture

ROOT = Path(__file__).resolve().parents[2]


def test_empty_lecture(run):
    lec = LectureInput(slides=[], title_hint="")
    assert run("clean_captions", lec).slides == []
    assert run("title", lec).title == "Lecture"
    assert run("study_table", lec).rows == []
    empty = run("mindmap", lec).root
    assert empty.text == "Lecture" and empty.children == []
    assert mermaid(run("mindmap", lec)) == 'mindmap\n  n1(("Lecture"))'
    with pytest.raises(AIOutputInvalid, match="no captions to write questions from") as err:
        run("vignettes", lec)
    assert err.value.task == "vignettes"
    with pytest.raises(AIOutputInvalid, match="no captions to draw key points from"):
        run("key_points", lec)


def test_slides_without_speech(run):
    lec = lecture(["", "   ", "[MUSIC]", "um uh"], title_hint="Pharmacology lecture 4.mp4")
    assert [s.text for s in run("clean_captions", lec).slides] == ["", "", "", ""]
    assert run("title", lec).title == "Pharmacology, Lecture 4"
    table = run("study_table", lec)
    assert table.columns == ["Concept", "Key facts", "Slides"] and table.rows == []
    with pytest.raises(AIOutputInvalid):
        run("vignettes", lec)


def test_one_slide(run):
    lec = lecture([MEDICINE[5]], study_columns=MEDICAL_COLUMNS)
    points = run("key_points", lec)
    assert 1 <= len(points.lecture) <= 7 and len(points.slides) == 1
    assert 1 <= len(points.slides[0].points) <= 3
    table = run("study_table", lec)
    assert table.rows and table.rows[0].cells[0] == "**Sickle cell disease**"
    assert run("mindmap", lec).root.text


def test_too_thin_for_five_choices_says_so(run):
    lec = lecture(["The heart pumps blood."])
    with pytest.raises(AIOutputInvalid, match="too short to write five-choice questions"):
        run("vignettes", lec)
    assert run("key_points", lec).lecture == ["The heart pumps blood."]


def test_a_slide_without_text_between_others_keeps_its_place(run):
    lec = lecture(COMPUTING[:2] + [""] + COMPUTING[2:])
    points = run("key_points", lec)
    assert [s.index for s in points.slides] == list(range(6))
    assert points.slides[2].points == []
    assert all(3 not in q.slides for q in run("vignettes", lec).questions)    # showing 2 is slide 3


def test_very_long_slides_are_fast_and_bounded(run):
    # About an hour of speech: 50 slides of ~150 words, plus one 3,000-word unpunctuated monologue.
    texts = [" ".join((BIOLOGY + MEDICINE + COMPUTING)[(i * 7) % 20:(i * 7) % 20 + 2]) for i in range(50)]
    texts.append(" ".join(UNPUNCTUATED * 30))
    lec = lecture(texts, study_columns=MEDICAL_COLUMNS)
    analysis._CACHE.clear()
    started = time.perf_counter()
    for task in TASKS:
        value = run(task, lec)
        assert type(value) is TASKS[task]
    assert time.perf_counter() - started < 8.0
    points = run("key_points", lec)
    assert len(points.lecture) == 7
    assert all(len(p.split()) <= 60 for s in points.slides for p in s.points)
    assert len(mermaid(run("mindmap", lec)).split("\n")) <= 41


def test_other_languages_and_scripts(run):
    french = lecture([
        "Euh, aujourd'hui on parle de la mitochondrie. La mitochondrie produit l'énergie de la cellule.",
        "La chaîne respiratoire se trouve dans la membrane interne. La chaîne respiratoire utilise l'oxygène.",
        "Le cycle de Krebs a lieu dans la matrice. Le cycle de Krebs produit du NADH.",
    ], language="fr", title_hint="Biologie cellulaire")
    title = run("title", french).title
    assert title.startswith("Biologie cellulaire")
    table = run("study_table", french)
    assert any("chaîne respiratoire" in r.cells[0].lower() for r in table.rows)
    assert "euh" not in run("clean_captions", french).slides[0].text.lower()
    greek = lecture(["Η μιτοχονδριακή αναπνοή παράγει ATP. Η μιτοχονδριακή αναπνοή χρειάζεται οξυγόνο.",
                     "Το ένζυμο ATP συνθάση παράγει ATP."], language="el")
    for task in ("title", "key_points", "study_table", "mindmap"):
        run(task, greek)
    assert "μιτοχονδριακή" in mermaid(run("mindmap", greek)).lower()


def _all_outputs(engine, lec) -> dict:
    from pipeline.ai.engine import Prompt
    out = {}
    for task in TASKS:
        try:
            out[task] = engine.run(task, lec, Prompt(task, "")).value.model_dump()
        except AIOutputInvalid as exc:
            out[task] = str(exc)
    return out


def test_same_input_same_output_in_this_process(engine):
    lec = lecture(MEDICINE, study_columns=MEDICAL_COLUMNS, vignette_style="clinical")
    analysis._CACHE.clear()
    first = _all_outputs(engine, lec)
    analysis._CACHE.clear()
    assert _all_outputs(engine, lec) == first


def test_same_input_same_output_across_processes(engine):
    """String hashing is randomised per process, so no set or dict order may leak into an answer."""
    lec = lecture(BIOLOGY, title_hint="Cell biology week 3", vignette_style="clinical")
    here = _all_outputs(engine, lec)
    script = (
        "import json, sys\n"
        "from pipeline.ai.schemas import LectureInput\n"
        "from tests.ai_offline.test_edges import _all_outputs\n"
        "from pipeline.ai.offline import OfflineEngine\n"
        "lec = LectureInput.model_validate_json(sys.stdin.read())\n"
        "print(json.dumps(_all_outputs(OfflineEngine(), lec)))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script], input=lec.model_dump_json(), capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=60, check=True)
    assert json.loads(done.stdout) == json.loads(json.dumps(here))
