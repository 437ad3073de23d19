"""The offline engine on the demo deck: only what extractive methods do well, numbered as the handout is.

Reproduces the issue's evidence: "(slide 8)" in a 7-slide handout, a revisit cited by its showing's number,
identical questions, a definition twice in one cell, "binds in a pocket called" as a mindmap node.
"""

from __future__ import annotations

import re

import pytest

from pipeline.ai.checks import check_answer
from pipeline.ai.dedupe import alike, words
from pipeline.ai.engine import Prompt
from pipeline.ai.offline import OfflineEngine
from pipeline.ai.schemas import LectureInput, SlideInput
from pipeline.demo_lecture import ENZYMES
from pipeline.mindmap_tree import tree_for_drawing

REVISIT = "Let's go back to what is an enzyme for a second. An enzyme is a protein that acts as a catalyst."


def demo(with_titles: bool) -> LectureInput:
    """The demo's eight showings of seven slides (the sixth returns to slide 2), as the study stage builds it."""
    order = [0, 1, 2, 3, 4, 1, 5, 6]
    slides = []
    for i, k in enumerate(order):
        deck = ENZYMES[k]
        again = i == 5
        slides.append(SlideInput(index=i, start=20.0 * i, end=20.0 * (i + 1), repeat_of=1 if again else None,
                                 text=REVISIT if again else " ".join(deck.speech),
                                 slide_title=deck.title if with_titles else "",
                                 slide_text="\n".join((deck.title,) + deck.bullets) if with_titles else ""))
    return LectureInput(slides=slides, study_columns=["Concept", "Definition / key facts", "How it works",
                                                      "Example", "Common pitfalls"])


def answer(task: str, lecture: LectureInput):
    value = OfflineEngine().run(task, lecture, Prompt(task, "")).value
    return check_answer(task, lecture, value)


@pytest.fixture(params=[False, True], ids=["captions only", "with slide titles"])
def lecture(request) -> LectureInput:
    return demo(request.param)


def test_seven_slides_are_cited_one_to_seven_and_the_revisit_as_slide_2(lecture):
    assert lecture.slide_numbers() == [1, 2, 3, 4, 5, 6, 7]
    table, quiz = answer("study_table", lecture), answer("vignettes", lecture)
    cited = {n for r in table.rows for n in r.slides} | {n for q in quiz.questions for n in q.slides}
    assert cited <= set(range(1, 8))
    for q in quiz.questions:
        for n in map(int, re.findall(r"slide (\d+)", q.stem + " " + q.explanation)):
            assert 1 <= n <= 7, q.explanation
    # The revisit's sentence is slide 2's, whichever showing it was taken from.
    enzyme = [q for q in quiz.questions if "acts as a catalyst" in q.stem]
    assert all(q.slides == [2] and "slide 2" in q.stem for q in enzyme)


def test_no_two_questions_rows_or_facts_alike(lecture):
    quiz = answer("vignettes", lecture)
    stems = [q.stem for q in quiz.questions]
    assert all(not alike(a, b) for i, a in enumerate(stems) for b in stems[i + 1:])
    for q in quiz.questions:
        options = [c.text for c in q.choices]
        assert all(not alike(a, b) for i, a in enumerate(options) for b in options[i + 1:]), options
    table = answer("study_table", lecture)
    rows = [tuple(tuple(words(c)) for c in r.cells) for r in table.rows]
    assert len(set(rows)) == len(rows)
    for row in table.rows:
        for cell in row.cells:
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", cell) if s]
            assert len({tuple(words(s)) for s in sentences}) == len(sentences), cell


def test_recall_questions_quote_whole_sentences_and_say_what_they_are(lecture):
    quiz = answer("vignettes", lecture)
    from pipeline.ai.offline.analysis import analyse

    spoken = " ".join(analyse(lecture).cleaned.values())      # what was said, fillers ("uh") taken out
    for q in quiz.questions:
        m = re.fullmatch(r"Complete the sentence from slide (\d+): “(.+)”", q.stem)
        assert m, q.stem
        sentence = m.group(2)
        assert sentence[0].isupper() and sentence.endswith((".", "!")), sentence
        right = next(c.text for c in q.choices if c.letter == q.answer)
        filled = sentence.replace("_____", right)
        assert " ".join(words(filled)) in " ".join(words(spoken)), filled
        assert not q.objective.startswith(("Explain the role", "Identify the use"))


def test_key_points_are_complete_sentences_and_no_slide_repeats_its_caption(lecture):
    points = answer("key_points", lecture)
    for p in points.lecture:
        assert p[0].isupper() and p.endswith((".", "!")) and not p.lower().startswith("today"), p
    for sp in points.slides:
        said = " ".join(words(lecture.slides[sp.index].text))
        assert " ".join(words(" ".join(sp.points))) != said or not sp.points


def test_mindmap_nodes_are_terms_not_sentence_pieces(lecture):
    tree = tree_for_drawing(answer("mindmap", lecture).root.model_dump())
    for node in tree.walk()[1:]:
        ws = node.text.lower().split()
        assert len(ws) <= 6 and ws[-1] not in {"called", "a", "an", "the", "of", "in", "over"}, node.text
        assert "binds in a pocket" not in node.text.lower()


def test_with_slide_titles_the_table_is_a_glossary_of_them_without_empty_columns():
    lecture = demo(with_titles=True)
    table = answer("study_table", lecture)
    names = [re.sub(r"\*", "", r.cells[0]) for r in table.rows]
    assert names == ["Enzyme", "Activation energy", "The active site", "What changes the rate", "Inhibitors"]
    assert table.rows[0].slides == [2]                 # the revisit is the same slide, the same row
    assert table.rows[0].cells[1].startswith("An enzyme is a protein that acts as a catalyst.")
    for c in range(1, len(table.columns)):
        assert any(r.cells[c] for r in table.rows), table.columns[c]
    assert "Common pitfalls" not in table.columns and "Example" not in table.columns


def test_with_slide_titles_the_mindmap_branches_are_the_slides_topics():
    tree = tree_for_drawing(answer("mindmap", demo(with_titles=True)).root.model_dump())
    branches = [c.text for c in tree.children]
    assert branches == ["Enzyme", "Activation energy", "The active site", "What changes the rate", "Inhibitors"]
    texts = [n.text.lower() for n in tree.walk()[1:]]
    assert len(texts) == len(set(texts)) and "active site" not in texts     # "The active site" is a branch
