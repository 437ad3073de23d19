"""When a cleaner may change a word's case, and when that would change what it means.

Capitalising a sentence start is safe for ordinary words, but not for "i.i.d.", "dB", "mRNA", "α" or "x = 3":
those are written as they must be read. And a full stop after "e.g.", "et al." or "Fig." does not end a
sentence, so the word after it keeps its case.
"""

from __future__ import annotations

import re

# Lower-cased; their full stop is part of the word, not the end of a sentence. Words that are also ordinary
# words ("no.", "min.") are left out: "no. maybe" is two sentences.
ABBREVIATIONS = frozenset({
    "e.g.", "i.e.", "i.i.d.", "a.k.a.", "w.r.t.", "s.t.", "cf.", "vs.", "etc.", "et al.", "al.", "fig.", "figs.",
    "eq.", "eqs.", "ref.", "refs.", "approx.", "resp.", "vol.", "ch.", "sec.", "dr.", "prof.", "mr.", "mrs.",
    "ms.", "pp.", "ca.", "u.s.", "avg.", "incl.", "excl.",
})
_OPERATOR = re.compile(r"\s*(?:[=<>≤≥≈≠±×÷+*/^|]|->|→|−)")
_GREEK_AND_MATHS = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff\U0001d400-\U0001d7ff\u2100-\u214f]")


def keeps_case(word: str, rest: str = "") -> bool:
    """True when `word` (followed by `rest`) must not be capitalised: abbreviations, units, symbols, maths."""
    core = word.lstrip("\"“‘([")
    if not core or not core[0].isalpha():
        return True                              # a number or a symbol: nothing to capitalise
    if core[0].isupper():
        return True                              # already capital
    if _GREEK_AND_MATHS.match(core[0]):
        return True                              # α is not Α
    letters = core.rstrip(".,;:!?\"”’)]")
    if "." in letters or any(ch.isupper() for ch in letters[1:]):
        return True                              # i.i.d., e.g., dB, mRNA, pH
    if any(not ch.isalpha() and ch not in "'’-" for ch in letters):
        return True                              # x_1, λ/2, x2
    if len(letters) == 1 and _OPERATOR.match(rest):
        return True                              # "x = 3", "n → ∞"
    return False


def ends_with_abbreviation(text: str) -> bool:
    """True when `text` ends with an abbreviation such as "e.g." or "et al." (so its stop ends no sentence)."""
    words = text.rstrip().lower().split()
    if not words:
        return False
    last, pair = words[-1], " ".join(words[-2:])
    return last in ABBREVIATIONS or pair in ABBREVIATIONS or bool(re.fullmatch(r"(?:[^\W\d_]\.){2,}", last))


def capitalise_sentence(text: str) -> str:
    """Upper-case the first letter of `text` unless that letter's word must keep its case."""
    m = re.search(r"\S+", text)
    if not m or keeps_case(m.group(0), text[m.end():]):
        return text
    i = next(i for i in range(m.start(), m.end()) if text[i].isalpha())
    return text[:i] + text[i].upper() + text[i + 1:]
