"""Splitting a long transcript by slides and merging the parts' answers, as pure functions."""

from __future__ import annotations

import pytest

from pipeline.ai.schemas import (CleanedCaptions, Choice, KeyPoints, LectureInput, SlideInput, SlidePoints, SlideText,
                                 StudyRow, StudyTable, Vignette, VignetteSet)
from pipeline.ai.split import (LECTURE_POINTS_CAP, digest_lecture, estimate_tokens, lecture_tokens, merge,
                               slide_tokens, split_lecture)


def lecture_of(texts: list[str]) -> LectureInput:
    return LectureInput(slides=[SlideInput(index=i, start=i * 10.0, end=i * 10.0 + 10, text=t)
                                for i, t in enumerate(texts)])


def test_estimate_is_four_characters_a_token():
    assert estimate_tokens("") == 0 and estimate_tokens("abcd") == 1 and estimate_tokens("abcde") == 2


def test_small_lecture_is_one_part():
    lecture = lecture_of(["short"] * 3)
    assert split_lecture(lecture, 1000) == [lecture]


def test_parts_fit_the_budget_and_keep_every_word_in_order():
    texts = [f"Slide {i} says " + "word " * (20 + 7 * (i % 5)) + "end." for i in range(40)]
    texts[10] = " ".join(f"Long sentence {k} has several words in it." for k in range(120))
    texts[11] = "x" * 3000 + " tail"                          # one "word" longer than a part
    texts[12] = ""
    lecture = lecture_of(texts)
    parts = split_lecture(lecture, 300)
    assert len(parts) > 5
    for part in parts:
        assert lecture_tokens(part) <= 300
    joined = {}
    for part in parts:
        for s in part.slides:
            joined.setdefault(s.index, []).append(s.text)
    for i, text in enumerate(texts):
        # Pieces are joined back with spaces; compared without whitespace, nothing is lost or reordered.
        assert "".join("".join(joined.get(i, [])).split()) == "".join(text.split())
    order = [s.index for p in parts for s in p.slides]
    assert order == sorted(order)
    assert sum(1 for p in parts for s in p.slides if s.index == 10) >= 3


def test_tiny_budget_is_refused():
    with pytest.raises(ValueError, match="too small"):
        split_lecture(lecture_of(["a " * 100]), 10)


def test_merge_clean_captions_joins_pieces():
    merged = merge("clean_captions", [CleanedCaptions(slides=[SlideText(index=0, text="A."),
                                                              SlideText(index=1, text="B1.")]),
                                      CleanedCaptions(slides=[SlideText(index=1, text="B2."),
                                                              SlideText(index=2, text="C.")])])
    assert [(s.index, s.text) for s in merged.slides] == [(0, "A."), (1, "B1. B2."), (2, "C.")]


def test_merge_key_points_round_robin_dedupe_and_cap():
    parts = [KeyPoints(lecture=[f"Part {p} point {k}." for k in range(10)] + ["Shared point!"],
                       slides=[SlidePoints(index=p, points=["x", "y"]), SlidePoints(index=9, points=["y", "Y."])])
             for p in range(3)]
    merged = merge("key_points", parts)
    assert len(merged.lecture) == LECTURE_POINTS_CAP
    assert merged.lecture[:3] == ["Part 0 point 0.", "Part 1 point 0.", "Part 2 point 0."]
    small = merge("key_points", [KeyPoints(lecture=["Same point."], slides=[]),
                                 KeyPoints(lecture=["same point", "Other."], slides=[])])
    assert small.lecture == ["Same point.", "Other."]
    assert [s.points for s in merged.slides if s.index == 9] == [["y"]]


def test_merge_study_tables_folds_recurring_topics():
    cols = ["Topic", "Facts", "Example"]
    a = StudyTable(columns=cols, rows=[StudyRow(cells=["Osmosis", "water moves", "—"], slides=[1]),
                                       StudyRow(cells=["Diffusion", "down gradient", "O2"], slides=[2])])
    b = StudyTable(columns=cols, rows=[StudyRow(cells=["osmosis", "tonicity matters", "red cells swell"], slides=[7]),
                                       StudyRow(cells=["Pumps", "ATP", "Na/K"], slides=[8])])
    merged = merge("study_table", [a, b])
    assert [r.cells[0] for r in merged.rows] == ["Osmosis", "Diffusion", "Pumps"]
    assert merged.rows[0].cells == ["Osmosis", "water moves; tonicity matters", "red cells swell"]
    assert merged.rows[0].slides == [1, 7]
    assert a.rows[0].cells[1] == "water moves"             # inputs are left alone


def vignette(objective: str) -> Vignette:
    return Vignette(objective=objective, stem="s", question="q", answer="A", explanation="e", difficulty="easy",
                    choices=[Choice(letter=c, text=c) for c in "ABCDE"])


def test_merge_vignettes():
    merged = merge("vignettes", [VignetteSet(objectives=["O1", "O2"], questions=[vignette("O1")]),
                                 VignetteSet(objectives=["O2", "O3"], questions=[vignette("O3"), vignette("O2")])])
    assert merged.objectives == ["O1", "O2", "O3"] and len(merged.questions) == 3


def test_title_is_not_merged():
    from pipeline.ai.schemas import LectureTitle

    with pytest.raises(ValueError, match="digest"):
        merge("title", [LectureTitle(title="a"), LectureTitle(title="b")])


def test_digest_uses_slide_points_or_the_lecture_points():
    lecture = lecture_of(["long talk " * 500] * 4)
    points = KeyPoints(lecture=["Main idea."], slides=[SlidePoints(index=0, points=["P0a", "P0b"]),
                                                       SlidePoints(index=2, points=["P2"])])
    digest = digest_lecture(lecture, points, 500)
    assert [(s.index, s.text) for s in digest.slides] == [(0, "P0a P0b"), (2, "P2")]
    tight = digest_lecture(lecture, KeyPoints(lecture=["Main idea."], slides=[
        SlidePoints(index=i, points=["point " * 200]) for i in range(4)]), 300)
    assert [s.text for s in tight.slides] == ["Main idea."] and tight.slides[0].end == 40.0
    assert slide_tokens(tight.slides[0]) < 300
