"""File-name hints: subject words kept, dates, codes and recorder noise dropped."""

from __future__ import annotations

import pytest

from pipeline.ai.offline.title import parse_hint, title_case


@pytest.mark.parametrize("hint, expected", [
    ("Cell biology week 3", ("Cell biology", "Week 3")),
    ("Cell_biology_week_3.mp4", ("Cell biology", "Week 3")),
    ("GMT20240301-140000_Recording_1920x1080.mp4", ("", "")),
    ("BIO101 Lecture 7 - Renal physiology (final).mov", ("Renal physiology", "Lecture 7")),
    ("2024-03-01 14.05 Zoom recording.mp4", ("", "")),
    ("Pharmacology lecture 4.mp4", ("Pharmacology", "Lecture 4")),
    ("", ("", "")),
])
def test_parse_hint(hint, expected):
    assert parse_hint(hint) == expected


def test_title_case_keeps_acronyms_and_small_words():
    assert title_case("role of ATP and mRNA in the cell", "en") == "Role of ATP and mRNA in the Cell"
    assert title_case("chaîne respiratoire et cycle de Krebs", "fr") == "Chaîne respiratoire et cycle de Krebs"
