"""The real-lectures benchmark on a four-page deck typeset here: every field of its row, every schema answer taken."""

from __future__ import annotations

import pytest

from benchmarks import real_lectures as rl
from pipeline.stages.study import TASK_ORDER
from tests.ai.conftest import _fresh_breakers  # noqa: F401 - the autouse fixture

TITLE = "Heat Transfer by Conduction"
PAGES = (
    ("Heat Transfer by Conduction", ["Lecture 3", "Department of Mechanical Engineering"]),
    ("Fourier's law", ["Heat flux is proportional to the temperature gradient",
                       "Thermal conductivity of copper is about 400 W/mK"]),
    ("Plane wall", ["Steady state gives a linear temperature profile", "Thermal resistance equals L over kA"]),
    ("Composite walls", ["Resistances in series add up", "Insulation dominates the total resistance"]),
)


@pytest.fixture
def deck(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format=(142.875, 254.0))
    pdf.set_title(TITLE)
    pdf.set_auto_page_break(False)
    for k, (heading, lines) in enumerate(PAGES):
        pdf.add_page()
        pdf.set_font("helvetica", "B", 30 if k == 0 else 24)
        pdf.set_xy(15, 40 if k == 0 else 12)
        pdf.cell(224, 16, heading, align="C" if k == 0 else "L")
        pdf.set_font("helvetica", "", 16)
        for j, line in enumerate(lines):
            pdf.set_xy(15 if k == 0 else 20, (62 if k == 0 else 40) + 14 * j)
            pdf.cell(220, 10, line if k == 0 else f"- {line}", align="C" if k == 0 else "L")
    path = tmp_path / "conduction.pdf"
    pdf.output(str(path))
    return path


def test_a_deck_becomes_a_lecture_whose_study_materials_pass_every_check(deck, tmp_path):
    (report,) = rl.run_benchmark([deck], size=(640, 360), fps=5, keep=tmp_path / "work")
    assert (report.name, report.pages, report.slides) == ("conduction", 4, 4)
    assert report.minutes > 1
    # every study task answered within its schema, each taken first time
    assert set(report.answers) == set(TASK_ORDER)
    assert report.acceptance == 1.0 and all(ok == got for ok, got in report.answers.values())
    assert report.questions >= 1 and report.duplicate_questions == 0
    assert report.cited >= 1 and report.cited_share == 1.0 and report.handout_slides == 4
    assert report.ocr_slides == 4 and 0 < report.ocr_seconds < report.pipeline_seconds
    assert report.ocr_per_hour == pytest.approx(report.ocr_seconds * 60 / report.minutes)
    # the title the handout prints is the one on the opening slide, which is the deck's own
    assert report.title_deck == TITLE and report.title_source == "deck" and report.title_asked_apart
    assert report.title_f1 >= 0.8
    assert set(report.f1) == set(rl.VARIANTS)
    for variant, (p, r, f1, found) in report.f1.items():
        assert f1 >= 0.8, (variant, p, r, found)
    table = rl.format_report([report])
    assert "| conduction | 4 | 4 / 4 |" in table and "100 % (6/6, 6 tasks)" in table
    srt = (tmp_path / "work" / "conduction" / "conduction.srt").read_text()
    assert "Fourier's law" in srt and "-->" in srt


def test_the_transcript_reads_each_page_while_it_is_shown():
    texts = ["one two three four five", "", "alpha beta"]
    cues = rl.transcript(texts, [(0, 10.0), (1, 4.0), (2, 6.0), (0, 5.0)], words_per_cue=2)
    assert [c.text for c in cues] == ["one two", "three four", "five", "This slide", "shows a", "figure.",
                                      "alpha beta", "one two", "three four", "five"]
    assert cues[0].start == 0 and cues[2].end <= 10 and cues[3].start == 10 and cues[6].start == 14
    assert all(c.end > c.start for c in cues) and cues[-1].end <= 25
    assert rl._stamp(3723.5) == "01:02:03,500"


def test_titles_are_compared_word_by_word():
    assert rl.title_f1("Lecture 2: Gradient Descent", "lecture 2 gradient descent") == 1.0
    assert rl.title_f1("Gradient Descent", "Optimization for ML Lecture 2: Gradient Descent") == pytest.approx(
        2 * 2 / (2 + 7))
    assert rl.title_f1("", "anything") == 0.0


def test_a_missing_deck_is_named(tmp_path, capsys):
    missing = tmp_path / "nowhere.pdf"
    assert rl.main(["--deck", str(missing)]) == 2
    assert f"no deck at {missing}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        rl.main(["--deck", str(missing), "--variants", "clean,fisheye"])
    assert "unknown variant 'fisheye'" in capsys.readouterr().err



def test_an_answer_outside_the_schema_counts_against_acceptance(deck, tmp_path):
    from tests.fakes.openai_server import FakeOpenAI

    with FakeOpenAI() as fake:
        fake.queue_chat({"not": "what the schema asks"})
        fake.answer_within_schema(2)
        report = rl.run_lecture(deck, tmp_path, fake, variants=("clean",), size=(480, 270), fps=5)
    rejected = [task for task, (ok, got) in report.answers.items() if ok < got]
    assert len(rejected) == 1 and report.answers[rejected[0]] == [1, 2]     # asked again, then taken
    assert report.acceptance == pytest.approx(6 / 7)
    assert set(report.f1) == {"clean"}
    assert f"conduction: {rejected[0]} accepted 1 of 2 answers" in rl.format_report([report], ("clean",))
