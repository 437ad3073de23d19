"""No duplicates: repeats are dropped after the answer, whichever engine gave it."""

from __future__ import annotations

import pytest

from pipeline.ai.checks import check_answer
from pipeline.ai.dedupe import alike, unique, unique_cell
from pipeline.ai.schemas import Choice, KeyPoints, Mindmap, SlidePoints, StudyRow, StudyTable, Vignette, VignetteSet
from tests.ai.conftest import make_lecture


def question(stem: str, options=("Osmosis", "Diffusion", "Active transport", "Pumps", "Channels"), slides=(1,)):
    return Vignette(objective="o", stem=stem, question="Which term belongs in the blank?",
                    choices=[Choice(letter=letter, text=t) for letter, t in zip("ABCDE", options)], answer="A",
                    explanation="e", difficulty="easy", slides=list(slides))


def test_alike_ignores_case_punctuation_and_markdown():
    assert alike("An enzyme is a **protein**.", "an enzyme is a protein")
    assert alike("Enzymes lower the activation energy of a reaction",
                 "Enzymes lower the activation energy of the reaction.")
    assert not alike("Enzymes lower the activation energy.", "Inhibitors block the active site.")
    assert unique(["A b c.", "a B c", "d e f"]) == ["A b c.", "d e f"]


def test_a_definition_is_said_once_in_a_cell():
    cell = "An enzyme is a **protein** that acts as a catalyst. An enzyme is a **protein** that acts as a catalyst."
    assert unique_cell(cell) == "An enzyme is a **protein** that acts as a catalyst."
    assert unique_cell("fast; fast; cheap") == "fast; cheap"


def test_identical_questions_keep_one():
    lecture = make_lecture(3)
    same = "A tutor says: “The substrate binds in a pocket called the _____.”"
    answer = VignetteSet(objectives=["o", "o"], questions=[question(same), question(same), question("Other one?")])
    checked = check_answer("vignettes", lecture, answer)
    assert [q.stem for q in checked.questions] == [same, "Other one?"] and checked.objectives == ["o"]


def test_a_question_with_two_options_alike_is_dropped_and_none_left_is_rejected():
    lecture = make_lecture(3)
    twice = ("Osmosis", "osmosis.", "Active transport", "Pumps", "Channels")
    with pytest.raises(ValueError, match="no usable question"):
        check_answer("vignettes", lecture, VignetteSet(objectives=["o"], questions=[question("S?", twice)]))


def test_identical_rows_become_one_with_both_slides_and_stray_numbers_go():
    lecture = make_lecture(4, study_columns=["Topic", "Facts"])
    table = StudyTable(columns=["Topic", "Facts"], rows=[
        StudyRow(cells=["Osmosis", "Water follows solute."], slides=[1, 9]),
        StudyRow(cells=["**Osmosis**", "Water follows solute"], slides=[3]),
        StudyRow(cells=["Pumps", "Use ATP."], slides=[4])])
    checked = check_answer("study_table", lecture, table)
    assert [r.cells[0] for r in checked.rows] == ["Osmosis", "Pumps"]
    assert checked.rows[0].slides == [1, 3]          # 9 is not a slide of this 4-slide lecture


def test_repeated_key_points_and_mindmap_siblings_go():
    lecture = make_lecture(2)
    points = check_answer("key_points", lecture, KeyPoints(lecture=["Cells need ATP.", "cells need ATP"],
                                                           slides=[SlidePoints(index=0, points=["a b", "A b."])]))
    assert points.lecture == ["Cells need ATP."] and points.slides[0].points == ["a b"]
    tree = Mindmap.model_validate({"root": {"text": "T", "children": [
        {"text": "Osmosis", "children": []}, {"text": "osmosis", "children": []}, {"text": "Pumps", "children": []}]}})
    assert [c.text for c in check_answer("mindmap", lecture, tree).root.children] == ["Osmosis", "Pumps"]
