"""Aligning cues to showings: who gets what, and the property that no cue is lost or repeated."""

from __future__ import annotations

import random

import pytest

from pipeline.align import align
from pipeline.captions import clean_caption_text
from pipeline.types import Cue, Showing


def showings(*spans: tuple[float, float]) -> list[Showing]:
    return [Showing(a, b, f"slide-{i}.png") for i, (a, b) in enumerate(spans)]


def texts(result: list[Showing]) -> list[list[str]]:
    return [[c.text for c in s.cues] for s in result]


def test_each_cue_goes_to_the_slide_on_screen():
    out = align(showings((0, 10), (10, 20)), [Cue(1, 3, "a"), Cue(12, 14, "b"), Cue(4, 6, "c")])
    assert texts(out) == [["a", "c"], ["b"]]
    assert out[0].text == "A c" and out[1].text == "B"


def test_a_cue_spanning_a_change_goes_where_most_of_it_was():
    out = align(showings((0, 10), (10, 20)), [Cue(8, 13, "mostly second"), Cue(9, 10.5, "mostly first")])
    assert texts(out) == [["mostly first"], ["mostly second"]]


def test_ties_go_to_the_earlier_showing():
    out = align(showings((0, 10), (10, 20)), [Cue(9, 11, "tie")])
    assert texts(out) == [["tie"], []]


def test_cues_outside_go_to_first_and_last_and_gaps_to_the_nearest():
    out = align(showings((5, 10), (10, 20), (30, 40)),
                [Cue(0, 2, "before"), Cue(50, 55, "after"), Cue(21, 22, "near second"), Cue(28, 29, "near third"),
                 Cue(10, 10, "instant at a change")])
    assert texts(out) == [["before"], ["instant at a change", "near second"], ["near third", "after"]]


def test_order_of_showings_is_kept_and_fields_copied():
    given = [Showing(10, 20, "b.png"), Showing(0, 10, "a.png", text="old", cues=[Cue(0, 1, "old")]),
             Showing(20, 30, "a.png", repeat_of=1)]
    out = align(given, [Cue(1, 2, "x"), Cue(11, 12, "y"), Cue(21, 22, "z")])
    assert [(s.start, s.image, s.repeat_of) for s in out] == [(10, "b.png", None), (0, "a.png", None),
                                                              (20, "a.png", 1)]
    assert texts(out) == [["y"], ["x"], ["z"]]
    assert given[1].cues == [Cue(0, 1, "old")]   # the input is not changed


def test_text_is_tidied():
    out = align(showings((0, 10)), [Cue(0, 1, "so um the the"), Cue(1, 2, "idea is  simple. and"), Cue(2, 3, "uh done")])
    assert out[0].text == "So the idea is simple. And done"


def test_no_showings_and_no_cues():
    assert align([], [Cue(0, 1, "x")]) == []
    out = align(showings((0, 5)), [])
    assert out[0].cues == [] and out[0].text == ""


@pytest.mark.parametrize("seed", range(200))
def test_property_every_cue_lands_exactly_once_in_a_fitting_showing(seed):
    rng = random.Random(seed)
    t, spans = rng.uniform(0, 5), []
    for _ in range(rng.randint(1, 8)):
        length = rng.choice([0.0, rng.uniform(0.1, 30)])
        spans.append((t, t + length))
        t += length + rng.choice([0.0, 0.0, rng.uniform(0, 10)])   # some gaps between showings
    shown = showings(*spans)
    rng.shuffle(shown)
    cues = []
    for i in range(rng.randint(0, 40)):
        a = rng.uniform(-10, t + 10)
        cues.append(Cue(a, a + rng.choice([0.0, rng.uniform(0, 15)]), f"c{i}"))
    out = align(shown, cues)
    got = [c for s in out for c in s.cues]
    assert sorted(got, key=lambda c: c.text) == sorted(cues, key=lambda c: c.text)   # none lost, none repeated
    for s in out:
        assert s.cues == sorted(s.cues, key=lambda c: (c.start, c.end))
        assert s.text == clean_caption_text(" ".join(c.text for c in s.cues))
        for c in s.cues:
            # The chosen showing overlaps the cue at least as much as any other does.
            mine = max(0.0, min(s.end, c.end) - max(s.start, c.start))
            best = max(max(0.0, min(o.end, c.end) - max(o.start, c.start)) for o in out)
            assert mine == pytest.approx(best)
