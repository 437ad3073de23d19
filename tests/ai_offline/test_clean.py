"""Caption cleaning removes the noise of speech and nothing else."""

from __future__ import annotations

import re

import pytest

from pipeline.ai.offline.clean import clean_text

from .samples import BIOLOGY, COMPUTING, MEDICINE, UNPUNCTUATED

# Words the cleaner may write that were not said: expansions of "gonna", "wanna", "could of", "dont".
EXPANSIONS = {"going", "to", "want", "have", "n't", "kind", "of", "sort"}


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’][^\W_]+)?", text.lower())


@pytest.mark.parametrize("raw, expected", [
    ("um so today we're gonna talk about the the mitochondria",
     "So today we're going to talk about the mitochondria."),
    ("Okay, so, um, the c- cell needs ATP.", "So the cell needs ATP."),
    ("We we need oxygen in the in the matrix.", "We need oxygen in the matrix."),
    ("It's like really important.", "It's really important."),
    ("i think it's uh fine .that's it", "I think it's fine. That's it."),
    ("[MUSIC] >> PROFESSOR: Can you hear me at the back? The heart has four chambers.",
     "The heart has four chambers."),
    ("which is, you know, the powerhouse of the cell", "Which is the powerhouse of the cell."),
])
def test_removes_fillers_restarts_and_sound_tags(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize("raw", [
    "Do you know what the Krebs cycle is?",
    "I like apples.",
    "The patient went to the ER.",
    "What it is is a protein that that binds.",
    "The T-tubule carries the signal to pre- and post-synaptic cells.",
    "It's a kind of enzyme.",
    "Chronic blood loss, like, menstruation is a risk factor.",
])
def test_keeps_words_that_carry_meaning(raw):
    assert clean_text(raw) == raw


def test_unpunctuated_speech_gets_sentences_and_capitals():
    cleaned = clean_text(UNPUNCTUATED[0])
    sentences = re.split(r"(?<=[.!?])\s+", cleaned)
    assert len(sentences) >= 3
    assert all(s[0].isupper() and s[-1] in ".!?" for s in sentences)
    assert "um" not in _words(cleaned) and "uh" not in _words(cleaned)


@pytest.mark.parametrize("raw", BIOLOGY + MEDICINE + COMPUTING + UNPUNCTUATED)
def test_never_invents_words(raw):
    said = set(_words(raw))
    written = set(_words(clean_text(raw)))
    assert written - said <= EXPANSIONS, written - said


def test_other_languages_lose_hesitations_only():
    assert clean_text("Also ähm die Zelle braucht äh Energie, er sagt es.", "de") == \
        "Also die Zelle braucht Energie, er sagt es."
    assert clean_text("euh la cellule a besoin d'énergie", "fr") == "La cellule a besoin d'énergie."


def test_empty_and_blank_text():
    assert clean_text("") == ""
    assert clean_text("   \n ") == ""
    assert clean_text("um uh") == ""


@pytest.mark.parametrize("raw, expected", [
    ("the samples are i.i.d. and gaussian", "The samples are i.i.d. and gaussian."),
    ("i.i.d. noise is assumed", "i.i.d. noise is assumed."),
    ("see e.g. Fig. 3 vs. Fig. 4, i.e. the SNR of 3.5 dB", "See e.g. Fig. 3 vs. Fig. 4, i.e. the SNR of 3.5 dB."),
    ("as Smith et al. showed, the AWGN channel is easier", "As Smith et al. showed, the AWGN channel is easier."),
    ("the array spacing is λ/2. α = 0.5 here", "The array spacing is λ/2. α = 0.5 here."),
    ("𝑝ijk is the probability. ε → 0 as n → ∞", "𝑝ijk is the probability. ε → 0 as n → ∞."),
    ("x = 3 is a root. mRNA is made. the pH is 7.4 at 37 °C", "x = 3 is a root. mRNA is made. The pH is 7.4 at 37 °C."),
    ("capacity is 3.46 bits/s/Hz at 20 dB, approx. 2.5 μs delay",
     "Capacity is 3.46 bits/s/Hz at 20 dB, approx. 2.5 μs delay."),
])
def test_keeps_abbreviations_symbols_and_case(raw, expected):
    assert clean_text(raw) == expected


def test_lone_i_is_still_capitalised_beside_abbreviations():
    assert clean_text("i think i.e. the point is i.i.d. data, as i said") == \
        "I think i.e. the point is i.i.d. data, as I said."
