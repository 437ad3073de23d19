"""One rule for the lecture's title, used by the study and render stages, and what `make --help` says of it."""

from __future__ import annotations

import pytest

from pipeline.titles import FALLBACK, lecture_title, titled

FETCH = {"title": "Bio 101 week3", "session_title": "BIO101 Lecture 3: Enzymes"}
SLIDES = {"deck_title": "Enzymes and Catalysis"}


@pytest.mark.parametrize("options, outputs, ai, expected, source", [
    ({"title": "Week 3"}, {"fetch": FETCH, "slides": SLIDES}, "AI title", "Week 3", "option"),
    ({}, {"fetch": FETCH, "slides": SLIDES}, "AI title", "BIO101 Lecture 3: Enzymes", "session"),
    ({}, {"fetch": {"title": "Bio 101 week3"}, "slides": SLIDES}, "AI title", "Enzymes and Catalysis", "deck"),
    ({}, {"fetch": {"title": "Bio 101 week3"}, "slides": {}}, "AI  title ", "AI title", "ai"),
    ({}, {"fetch": {"title": "Bio 101 week3"}}, None, "Bio 101 week3", "file"),
    ({"title": "  "}, {"fetch": {}, "slides": {"deck_title": ""}}, "", FALLBACK, "fallback"),
])
def test_precedence(options, outputs, ai, expected, source):
    assert titled(options, outputs, ai) == (expected, source)
    assert lecture_title(options, outputs, ai) == expected


def test_make_help_says_how_the_title_is_chosen(capsys):
    from handouts.cli import main

    with pytest.raises(SystemExit):
        main(["make", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "session name" in text and "title on the slides" in text and "file name" in text
    assert "default: from the file name" not in text
