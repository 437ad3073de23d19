"""Aligning cues to showings: who gets what, and the property that no cue is lost or repeated."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipeline.align import align
from pipeline.captions import clean_caption_text, parse_subtitles
from pipeline.captions.sentences import sentence_groups
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
    out = align(showings((0, 10), (10, 20)), [Cue(8, 13, "Mostly second."), Cue(9, 10.5, "Mostly first.")])
    assert texts(out) == [["Mostly first."], ["Mostly second."]]


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
def test_property_every_cue_lands_exactly_once_and_each_sentence_whole_in_a_fitting_showing(seed):
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
        end = rng.choice(["", "", ".", "?", " e.g.", ","])          # some cues end a sentence, some do not
        cues.append(Cue(a, a + rng.choice([0.0, rng.uniform(0, 15)]), f"c{i}{end}"))
    out = align(shown, cues)
    got = [c for s in out for c in s.cues]
    assert sorted(got, key=lambda c: c.text) == sorted(cues, key=lambda c: c.text)   # none lost, none repeated
    home = {id(c): k for k, s in enumerate(out) for c in s.cues}
    for s in out:
        assert s.cues == sorted(s.cues, key=lambda c: (c.start, c.end))
        assert s.text == clean_caption_text(" ".join(c.text for c in s.cues))
    for group in sentence_groups(cues):
        where = {home[id(c)] for c in group}
        assert len(where) == 1                                       # a sentence is never cut in two
        k = where.pop()

        def overlap(o):
            return sum(max(0.0, min(o.end, c.end) - max(o.start, c.start)) for c in group)
        # The chosen showing overlaps the sentence at least as much as any other does.
        assert overlap(out[k]) == pytest.approx(max(overlap(o) for o in out))


def test_a_sentence_over_a_slide_change_goes_whole_where_most_of_it_was_said():
    # The case: "Much lower capacity than." | "With AWGN channel..." once cut a sentence in two.
    cues = [Cue(20, 23, "The Rayleigh fading channel has much lower capacity than"),
            Cue(23, 24.5, "with the AWGN channel."), Cue(24.5, 27, "Now we look at outage.")]
    out = align(showings((0, 23.6), (23.6, 40)), cues)
    assert out[0].text == "The Rayleigh fading channel has much lower capacity than with the AWGN channel."
    assert out[1].text == "Now we look at outage."
    assert [c.start for c in out[0].cues] == [20, 23]                # cues keep their own times


def test_an_abbreviation_does_not_end_the_sentence():
    cues = [Cue(8, 9.5, "as shown by Smith et al."), Cue(9.5, 13, "in the paper, the SNR is 10 dB.")]
    out = align(showings((0, 10), (10, 20)), cues)
    assert texts(out) == [[], ["as shown by Smith et al.", "in the paper, the SNR is 10 dB."]]


def test_a_pause_ends_a_sentence_even_without_punctuation():
    cues = [Cue(5, 9, "this is the end of the slide"), Cue(11, 15, "here the next one starts."),
            Cue(15, 16, "Fine.")]
    out = align(showings((0, 10), (10, 20)), cues)
    assert texts(out) == [["this is the end of the slide"], ["here the next one starts.", "Fine."]]


def test_a_runaway_sentence_without_a_full_stop_is_still_split_by_time():
    cues = [Cue(i, i + 1, f"word{i},") for i in range(60)] + [Cue(60, 61, "end.")]
    out = align(showings((0, 30), (30, 61)), cues)
    assert len(out[0].cues) >= 25 and len(out[1].cues) >= 25
    assert max(len(g) for g in sentence_groups(cues)) <= 31


def test_yt_dlp_auto_captions_go_to_slides_each_phrase_once():
    cues = parse_subtitles(Path(__file__).parent / "data" / "youtube-auto.en.vtt")
    out = align(showings((0, 6.5), (6.5, 20)), cues)
    joined = " ".join(s.text for s in out).lower()
    assert joined.count("rayleigh") == 1 and joined.count("awgn") == 1 and joined.count("capacity") == 1
    assert "much lower capacity than with the AWGN channel" in out[0].text
    # Old per-cue pairing gave "capacity than with the AWGN channel" to the second slide, mid-sentence.
    assert out[1].text == "And the samples are i.i.d."


def test_unpunctuated_speech_is_cut_where_a_new_thought_starts():
    cues = [Cue(0, 2, "the channel fades"), Cue(2, 4, "over time"), Cue(4, 6, "so we need diversity"),
            Cue(6, 8, "to fight it")]
    assert [[c.text for c in g] for g in sentence_groups(cues)] == [["the channel fades", "over time"],
                                                                    ["so we need diversity", "to fight it"]]
