"""A plain, deterministic tidy-up of spoken text for the handout when no AI cleaning is available.

It only removes what is certainly noise (fillers, stutters, stray spaces) and capitalises sentence starts;
it never rewrites words, so it is safe on any transcript. Abbreviations, units, symbols and acronyms keep
their case ("i.i.d.", "dB", "α", "SNR").
"""

from __future__ import annotations

import re

from .case import capitalise_sentence, ends_with_abbreviation

_FILLER = re.compile(r"(?:,\s*)?(?<![\w'])(?:u+m+|u+h+|e+rm+|u+hm+|h+m+)(?![\w']),?", re.IGNORECASE)
# "that that" and "had had" are often grammatical; other doubled words in speech are stutters.
_KEEP_DOUBLED = {"that", "had"}
_DOUBLED = re.compile(r"\b([A-Za-z]+)(?:[ ,]+\1\b)+", re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?])\s+)(?=\S)")
# "i" alone is "I"; the i of "i.i.d." or "i.e." is not.
_LONE_I = re.compile(r"(?<![\w.'’])i(?=['’\s,!?;:]|\.(?!\w)|$)")


def clean_caption_text(text: str) -> str:
    """Collapse whitespace, drop um/uh fillers and doubled words, capitalise sentence starts."""
    text = " ".join(text.split())
    text = _FILLER.sub(" ", text)
    text = _DOUBLED.sub(lambda m: m.group(0) if m.group(1).lower() in _KEEP_DOUBLED else m.group(1), text)
    text = " ".join(text.split())
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = re.sub(r"^[,;:]\s*", "", text)
    text = re.sub(r"([,;:])(?=[,;:.!?])", "", text)
    text = _LONE_I.sub("I", text)

    return capitalise_starts(text)


def capitalise_starts(text: str) -> str:
    """Capitalise each sentence's first word, except after an abbreviation or where the word keeps its case."""
    chars = list(text)
    for m in _SENTENCE_START.finditer(text):
        if m.start() > 0 and ends_with_abbreviation(text[:m.start()]):
            continue                           # "e.g. the", "et al. showed": no new sentence
        head = capitalise_sentence(text[m.end():m.end() + 40])
        chars[m.end():m.end() + len(head)] = head
    return "".join(chars)
