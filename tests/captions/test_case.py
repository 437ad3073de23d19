"""The plain caption tidy-up keeps abbreviations, units, symbols and acronyms as they were written."""

from __future__ import annotations

import pytest

from pipeline.captions.case import capitalise_sentence, ends_with_abbreviation, keeps_case
from pipeline.captions.tidy import clean_caption_text


@pytest.mark.parametrize("raw, expected", [
    ("the samples are i.i.d. and gaussian", "The samples are i.i.d. and gaussian"),
    ("i.i.d. noise matters", "i.i.d. noise matters"),
    ("see e.g. Fig. 3 vs. Fig. 4, i.e. the SNR", "See e.g. Fig. 3 vs. Fig. 4, i.e. the SNR"),
    ("Smith et al. showed it. so it holds", "Smith et al. showed it. So it holds"),
    ("spacing is λ/2. α = 0.5. x = 3 holds. yes. no", "Spacing is λ/2. α = 0.5. x = 3 holds. Yes. No"),
    ("the AWGN channel at 10 dB. dB is a ratio. mRNA too", "The AWGN channel at 10 dB. dB is a ratio. mRNA too"),
    ("um so i said the the point", "So I said the point"),
])
def test_tidy_keeps_case_where_it_carries_meaning(raw, expected):
    assert clean_caption_text(raw) == expected


@pytest.mark.parametrize("word, rest, kept", [
    ("i.i.d.", " noise", True), ("e.g.,", " a", True), ("dB", "", True), ("α", " = 1", True), ("x", " = 3", True),
    ("x2", " is", True), ("3.5", " dB", True), ("SNR", "", True), ("the", " cell", False), ("i", " think", False),
    ("a", " cell", False), ("“so", " we", False),
])
def test_keeps_case(word, rest, kept):
    assert keeps_case(word, rest) is kept


def test_abbreviation_ends_and_capitalising():
    assert ends_with_abbreviation("shown by Smith et al.") and ends_with_abbreviation("see e.g.")
    assert ends_with_abbreviation("the u.s.")
    assert not ends_with_abbreviation("the end.") and not ends_with_abbreviation("")
    assert capitalise_sentence("  the cell") == "  The cell"
    assert capitalise_sentence("(the cell)") == "(The cell)"
    assert capitalise_sentence("") == ""
