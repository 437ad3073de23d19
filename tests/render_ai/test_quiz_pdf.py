"""The quiz PDF read back with pdfium: questions without answers, the key on its own pages, outline and metadata."""

from __future__ import annotations

import re

import numpy as np

from pipeline.ai.schemas import VignetteSet
from pipeline.render.quiz_pdf import render_quiz, words
from tests.render.pdfread import language, metadata, page_count, page_text, render, toc

from .conftest import vignette


def pages(path) -> list[str]:
    return [page_text(path, i) for i in range(page_count(path))]


def test_question_pages_hold_no_answers_and_the_key_starts_a_page(vignettes, tmp_path):
    out = render_quiz(vignettes, tmp_path / "quiz.pdf", title="Cardiac physiology — Lecture 4")
    text = pages(out)
    key_page = next(i for i, t in enumerate(text) if "Answer key" in t and "EXPLAIN" in t)
    assert key_page > 0
    for t in text[:key_page]:
        assert "EXPLAIN" not in t and "Answer key" not in t and "Difficulty" not in t
        assert not re.search(r"\b(easy|hard)\b", t)
    # The key's page begins with the key: nothing from a question precedes it on that page.
    key_text = text[key_page]
    assert key_text.index("Answer key") < key_text.index("EXPLAIN1")
    assert not any(f"STEM{k}" in t or f"QUESTION{k}" in t for t in text[key_page:] for k in range(1, 9))
    # Every question, stem and choice is on the question pages, each question whole on one page.
    for k in range(1, 9):
        holders = [i for i, t in enumerate(text[:key_page]) if f"STEM{k}" in t]
        assert len(holders) == 1
        page = text[holders[0]]
        assert f"QUESTION{k}" in page and all(f"CHOICE{k}{L}" in page for L in "ABCDE")


def test_questions_are_grouped_by_objective_and_numbered_in_order(vignettes, tmp_path):
    out = render_quiz(vignettes, tmp_path / "quiz.pdf", title="t")
    joined = " ".join(pages(out))
    questions = joined[:joined.index("Answer key")]
    heads = [questions.index(f"Objective {k}: ") for k in (1, 2, 3)]
    assert heads == sorted(heads)
    # Questions 1, 4, 7 test objective 1: they come first, numbered 1, 2, 3.
    order = [int(m) for m in re.findall(r"STEM(\d+)", questions)]
    assert order == [1, 4, 7, 2, 5, 8, 3, 6]
    assert re.search(r"1\. STEM1:", questions) and re.search(r"4\. STEM2:", questions)
    assert questions.count("Recognise valvular murmurs") == 1


def test_answer_key_lists_number_letter_explanation_and_difficulty(vignettes, tmp_path):
    out = render_quiz(vignettes, tmp_path / "quiz.pdf", title="t")
    joined = " ".join(pages(out))
    key = joined[joined.index("Answer key"):]
    # Question 2 (printed) is vignette 4: answer D, difficulty easy (4th of the rotation).
    assert re.search(r"2\. D\. CHOICE4D option d EXPLAIN4: .*? Difficulty: easy", key)
    assert re.search(r"8\. A\. CHOICE6A option a EXPLAIN6: .*? Difficulty: hard", key)
    assert [int(n) for n in re.findall(r"(\d)\. [A-E]\. CHOICE", key)] == list(range(1, 9))


def test_outline_metadata_language_and_unicode(vignettes, tmp_path):
    out = render_quiz(vignettes, tmp_path / "quiz.pdf", title="Cardiac physiology — Lecture 4", language="en")
    entries = toc(out)
    titles = [t for t, _ in entries]
    assert titles[0] == "Practice questions" and titles[-1] == "Answer key"
    assert titles[1].startswith("Objective 1: ")
    key_page = dict(entries)["Answer key"]
    assert "Answer key" in page_text(out, key_page)
    meta = metadata(out)
    assert meta["Title"] == "Cardiac physiology — Lecture 4" and meta["Creator"] == "Handouts"
    assert language(out) == "en"
    text = page_text(out, 0)
    assert "37.2 °C" in text and "Ångström-level detail α, β ≥ γ" in text and "crescendo–decrescendo" in text


def test_pages_are_drawn_not_blank(vignettes, tmp_path):
    out = render_quiz(vignettes, tmp_path / "quiz.pdf", title="t")
    for i in range(page_count(out)):
        grey = np.asarray(render(out, i, dpi=72).convert("L"))
        assert 0.01 < (grey < 200).mean() < 0.3


def test_other_languages_and_stray_objectives(tmp_path):
    qs = VignetteSet(objectives=["Herzzeitvolumen erklären"],
                     questions=[vignette(1, "Herzzeitvolumen  erklären"), vignette(2, "Nicht aufgeführt", "C", "hard")])
    out = render_quiz(qs, tmp_path / "de.pdf", title="Herz", language="de-DE")
    text = " ".join(pages(out))
    assert "Übungsfragen" in text and "Lösungen" in text and "Schwierigkeit: schwer" in text
    # Whitespace differences still match the listed objective; an unlisted one gets its own group after it.
    assert "Lernziel 1: Herzzeitvolumen erklären" in text and "Lernziel 2: Nicht aufgeführt" in text
    assert language(out) == "de-DE"
    assert words("xx")["key"] == "Answer key"


def test_a_long_set_spans_pages_without_splitting_a_question(tmp_path):
    qs = VignetteSet(objectives=["One"], questions=[vignette(k, "One") for k in range(1, 25)])
    out = render_quiz(qs, tmp_path / "long.pdf", title="t")
    text = pages(out)
    key_page = next(i for i, t in enumerate(text) if "Answer key" in t)
    assert key_page >= 4
    for k in range(1, 25):
        holder = [t for t in text[:key_page] if f"STEM{k}:" in t]
        assert len(holder) == 1 and f"CHOICE{k}E" in holder[0]


def test_markdown_emphasis_is_not_printed_and_the_key_names_the_slides(tmp_path):
    make = vignette
    q = make(1, "Explain pumps").model_copy(update={
        "stem": "A **sodium** load rises.", "question": "Which is **NOT** true?",
        "explanation": "The pump moves __three__ ions.", "slides": [3, 5]})
    one = make(2, "Explain channels").model_copy(update={"slides": [4]})
    bare = make(3, "Explain carriers").model_copy(update={"slides": []})
    vs = VignetteSet(objectives=[q.objective, one.objective, bare.objective], questions=[q, one, bare])
    out = render_quiz(vs, tmp_path / "quiz.pdf", title="t")
    joined = " ".join(pages(out))
    assert "**" not in joined and "__" not in joined
    assert "A sodium load rises." in joined and "Which is NOT true?" in joined
    key = joined[joined.index("Answer key"):]
    assert re.search(r"Difficulty: \w+ \u00b7 Slides 3, 5", key)
    assert re.search(r"Difficulty: \w+ \u00b7 Slide 4\b", key)
    assert key.count("\u00b7 Slide") == 2       # a question that cites no slide says nothing about slides


def test_a_cloze_blank_is_printed_whole(tmp_path):
    q = vignette(1, "Recall the active site").model_copy(
        update={"stem": "Complete the sentence from slide 4: \u201cThe substrate binds in a pocket called the "
                         "_____.\u201d"})
    out = render_quiz(VignetteSet(objectives=[q.objective], questions=[q]), tmp_path / "quiz.pdf", title="t")
    assert "called the _____." in " ".join(pages(out))
