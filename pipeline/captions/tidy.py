"""A plain, deterministic tidy-up of spoken text for the handout when no AI cleaning is available.

It only removes what is certainly noise (fillers, stutters, stray spaces) and capitalises sentence starts;
it never rewrites words, so it is safe on any transcript.
"""

from __future__ import annotations

import re

_FILLER = re.compile(r"(?:,\s*)?(?<![\w'])(?:u+m+|u+h+|e+rm+|u+hm+|h+m+)(?![\w']),?", re.IGNORECASE)
# "that that" and "had had" are often grammatical; other doubled words in speech are stutters.
_KEEP_DOUBLED = {"that", "had"}
_DOUBLED = re.compile(r"\b([A-Za-z]+)(?:[ ,]+\1\b)+", re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")
_LONE_I = re.compile(r"\bi\b(?=['\s,.!?]|$)")


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
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)
