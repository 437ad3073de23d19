"""Every task over realistic lectures: schema-valid answers that say only what the lecture said."""

from __future__ import annotations

import re

import pytest

from pipeline.ai.engine import Completion, Prompt
from pipeline.errors import AIError, AIOutputInvalid
from pipeline.ai.offline.clean import clean_text
from pipeline.ai.schemas import TASKS

from .conftest import mermaid
from .samples import BIOLOGY, COMPUTING, MEDICAL_COLUMNS, MEDICINE, UNPUNCTUATED, lecture

LECTURES = {
    "biology": lecture(BIOLOGY, title_hint="Cell_biology_week_3.mp4"),
    "medicine": lecture(MEDICINE, study_columns=MEDICAL_COLUMNS, vignette_style="clinical",
                        title_hint="GMT20240301-140000_Recording_1920x1080.mp4"),
    "computing": lecture(COMPUTING),
    "unpunctuated": lecture(UNPUNCTUATED, study_columns=["Structure", "Function", "Slides"]),
}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[*“”\"]", "", text).lower().split())


def _cleaned(lec) -> str:
    return _norm(" ".join(clean_text(s.text, lec.language) for s in lec.slides))


def test_engine_identity_and_completion(engine):
    assert (engine.name, engine.model) == ("offline", "extractive-v1")
    out = engine.run("title", LECTURES["biology"], Prompt("title", "ignored"))
    assert isinstance(out, Completion)
    assert (out.model, out.tokens_in, out.tokens_cached, out.tokens_out) == ("extractive-v1", 0, 0, 0)


def test_unknown_task_is_an_ai_error(engine):
    with pytest.raises(AIError, match="unknown AI task 'summary'") as err:
        engine.run("summary", LECTURES["biology"], Prompt("summary", ""))
    assert not isinstance(err.value, AIOutputInvalid)
    assert err.value.task == "summary"


@pytest.mark.parametrize("name", sorted(LECTURES))
@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_fits_its_schema(run, name, task):
    if (task, name) == ("study_table", "unpunctuated"):
        with pytest.raises(AIError, match="cannot fill the columns Structure | Function | Slides"):
            run(task, LECTURES[name])
        return
    value = run(task, LECTURES[name])
    assert type(value) is TASKS[task]


def test_clean_captions_keeps_one_entry_per_slide(run):
    lec = LECTURES["biology"]
    out = run("clean_captions", lec)
    assert [s.index for s in out.slides] == [s.index for s in lec.slides]
    assert out.slides[3].text == ""
    assert "Can you hear me" not in out.slides[0].text
    assert out.slides[2].text.startswith("The first stage is glycolysis.")


@pytest.mark.parametrize("name, expected", [
    ("biology", "Cell Biology, Week 3: Mitochondria and Cellular Respiration"),
    ("medicine", "Anemia"),
    ("computing", "Hash Tables"),
    ("unpunctuated", "Heart"),
])
def test_titles(run, name, expected):
    assert run("title", LECTURES[name]).title == expected


def test_title_without_announcement_uses_key_terms(run):
    lec = lecture(BIOLOGY[1:])
    title = run("title", lec).title
    assert 1 <= len(title.split()) <= 12
    assert re.search(r"Electron Transport Chain|Krebs Cycle|Glycolysis|ATP", title), title


def test_key_points_are_whole_sentences_of_the_lecture(run):
    lec = LECTURES["biology"]
    out = run("key_points", lec)
    cleaned = _cleaned(lec)
    assert 3 <= len(out.lecture) <= 7
    assert len({p.lower() for p in out.lecture}) == len(out.lecture)
    for point in out.lecture + [p for s in out.slides for p in s.points]:
        assert point[0].isupper() and point[-1] in ".!?"
        assert _norm(point)[:-1] in cleaned, point
    per_slide = {s.index: s.points for s in out.slides}
    assert per_slide[3] == []
    from pipeline.ai.offline.analysis import analyse

    a = analyse(lec)
    for s in lec.slides:
        said = len(a.slide_sentences(s.index))
        # A slide of one or two sentences gets no points: they would repeat its caption word for word.
        assert (1 <= len(per_slide[s.index]) <= 3) if said >= 3 else per_slide[s.index] == [], (s.index, said)
        if per_slide[s.index]:
            assert _norm(" ".join(per_slide[s.index])) != _norm(a.cleaned[s.index])
    assert not any("hear me" in p or p.lower().startswith("today") for p in out.lecture)


def test_study_table_default_columns(run):
    out = run("study_table", LECTURES["computing"])
    assert out.columns == ["Concept", "Key facts", "Slides"]
    out.check_shape(["Concept", "Key facts", "Slides"])
    concepts = [r.cells[0] for r in out.rows]
    assert "**Hash table**" in concepts and "**Load factor**" in concepts
    hash_row = out.rows[concepts.index("**Hash table**")]
    assert hash_row.cells[1].startswith("A **hash table** stores key value pairs in an array.")
    assert hash_row.cells[2] == "1, 2, 5"
    assert all(1 <= n <= 5 for r in out.rows for n in r.slides)


def test_study_table_medical_profile(run):
    lec = LECTURES["medicine"]
    out = run("study_table", lec)
    out.check_shape(MEDICAL_COLUMNS)
    rows = {r.cells[0]: dict(zip(MEDICAL_COLUMNS, r.cells)) for r in out.rows}
    assert {"**Iron deficiency anemia**", "**Sickle cell disease**", "**Vitamin B12 deficiency**",
            "**Beta thalassemia**"} <= set(rows)
    sickle = rows["**Sickle cell disease**"]
    assert "Hydroxyurea" in sickle["Treatment"]
    assert "vaso-occlusive" in sickle["Clinical presentation"]
    assert sickle["Diagnosis"] == "Hemoglobin electrophoresis."
    iron = rows["**Iron deficiency anemia**"]
    assert "koilonychia" in iron["Clinical presentation"] and "ferritin" in iron["Diagnosis"]
    assert "Oral iron" in iron["Treatment"]
    # Every filled cell is the lecture's own words.
    cleaned = _cleaned(lec)
    for row in out.rows:
        for col, cell in zip(MEDICAL_COLUMNS[1:], row.cells[1:]):
            for sentence in re.split(r"(?<=[.!?])\s+", cell):
                if sentence:
                    assert _norm(sentence).rstrip(".").lower() in cleaned, (col, sentence)


def test_study_table_says_what_it_cannot_fill_rather_than_invent(run):
    with pytest.raises(AIError) as info:
        run("study_table", LECTURES["unpunctuated"])
    assert not info.value.retryable and "OPENAI_API_KEY" in info.value.message


def test_a_disease_table_is_refused_for_a_lecture_without_diseases(run):
    lec = LECTURES["computing"].model_copy(update={"study_columns": MEDICAL_COLUMNS})
    with pytest.raises(AIError, match="names no disease"):
        run("study_table", lec)


def test_columns_no_row_fills_are_left_out(run):
    out = run("study_table", LECTURES["biology"].model_copy(update={"study_columns": [
        "Concept", "Definition / key facts", "How it works", "Example", "Common pitfalls"]}))
    assert out.columns[0] == "Concept" and len(out.columns) < 5
    for c in range(1, len(out.columns)):
        assert any(r.cells[c] for r in out.rows), out.columns[c]


def test_vignettes_applied(run):
    lec = LECTURES["biology"]
    out = run("vignettes", lec)
    cleaned = _cleaned(lec)
    assert 1 <= len(out.objectives) <= 8
    assert len({q.answer for q in out.questions}) >= 3, "the right answer moves between letters"
    per_objective: dict[str, int] = {}
    for q in out.questions:
        assert q.objective in out.objectives
        per_objective[q.objective] = per_objective.get(q.objective, 0) + 1
        texts = [c.text for c in q.choices]
        assert len({t.lower() for t in texts}) == 5
        answer = texts["ABCDE".index(q.answer)]
        assert answer.lower() in cleaned
        assert "_____" in q.stem and answer.lower() not in q.stem.lower()
        quoted = re.search(r"“(.+)”", q.explanation).group(1)
        assert _norm(quoted) in cleaned
        assert f"slide {q.slides[0]}" in q.explanation
    assert all(1 <= n <= 3 for n in per_objective.values())
    assert {q.difficulty for q in out.questions} >= {"easy", "medium"}


def test_vignettes_clinical_use_the_lectures_findings(run):
    out = run("vignettes", LECTURES["medicine"])
    clinical = [q for q in out.questions if q.stem.startswith("A patient presents with")]
    assert len(clinical) >= 3
    sickle = next(q for q in clinical if "vaso-occlusive" in q.stem)
    assert sickle.question == "Which of the following is the most likely diagnosis?"
    assert sickle.choices["ABCDE".index(sickle.answer)].text == "Sickle cell disease"
    # A term said alongside the answer is never offered as a wrong one.
    iron = next(q for q in clinical if "koilonychia" in q.stem)
    assert "Colon cancer" not in [c.text for c in iron.choices]


def test_mindmap_is_a_tree_of_terms_that_writes_valid_mermaid(run):
    from pipeline.mindmap_tree import parse_mindmap, tree_for_drawing

    for name, lec in LECTURES.items():
        answer = run("mindmap", lec)
        tree = tree_for_drawing(answer.root.model_dump())
        again = parse_mindmap(mermaid(answer))
        assert [n.text for n in again.walk()] == [n.text for n in tree.walk()]
        nodes = tree.walk()
        assert len(nodes) <= 40
        for node in nodes[1:]:
            words = node.text.split()
            assert 1 <= len(words) <= 6, (name, node.text)
            # A term or noun phrase, not a sentence cut short ("binds in a pocket called").
            assert words[-1].lower() not in {"a", "an", "the", "of", "to", "called", "in", "is", "are"}, node.text
    bio = mermaid(run("mindmap", LECTURES["biology"]))
    assert 'n1(("Mitochondria and Cellular Respiration"))' in bio
    assert "\n    Krebs cycle" in bio and "\n    Glycolysis" in bio
