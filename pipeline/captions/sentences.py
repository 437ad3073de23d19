"""Group consecutive cues into the sentences they hold, so a sentence can go whole to one slide.

Cue boundaries fall anywhere in a sentence; a slide change often falls between two cues of one. A sentence
ends with the cue whose text ends in a full stop, question or exclamation mark (not the stop of "e.g." or
"et al."), at a pause, or when it has run too long to be one sentence. Speech written without punctuation
(auto-captions) is cut at pauses and where a new thought plainly starts ("so we", "now the").
"""

from __future__ import annotations

import re

from ..types import Cue
from .case import ends_with_abbreviation

PAUSE_SECONDS = 1.5             # silence between cues that ends a sentence whatever the punctuation
MAX_SENTENCE_SECONDS = 30.0     # a "sentence" longer than this is a missing full stop, not one sentence
MAX_UNPUNCTUATED_SECONDS = 12.0 # without punctuation the bound is tighter: a guess must not move much text
_END = re.compile(r"[.!?…][\"”’)\]]*$")
_OPENERS = {"so", "now", "okay", "ok", "alright", "next", "today", "remember", "first", "finally", "then"}
_OPENER_FOLLOW = {"we", "we're", "we'll", "i", "i'm", "you'll", "the", "this", "that", "these", "those", "if", "when", "what", "let's", "let", "you",
                  "it", "there", "here", "in", "for", "a", "an", "our", "one", "another", "how", "why"}


def _ends_sentence(text: str) -> bool:
    text = text.rstrip()
    return bool(_END.search(text)) and not ends_with_abbreviation(text)


def _opens_thought(text: str) -> bool:
    words = [w.strip(",").lower() for w in text.split()[:2]]
    return len(words) == 2 and words[0] in _OPENERS and words[1] in _OPENER_FOLLOW


def is_punctuated(cues: list[Cue]) -> bool:
    """True when the captions carry sentence ends (about one every 40 words at least, the last not counted)."""
    words = sum(len(c.text.split()) for c in cues)
    ends = sum(1 for c in cues for _ in re.finditer(r"[.!?…](?:\s|$)", c.text))
    if cues and _END.search(cues[-1].text.rstrip()):
        ends -= 1                              # a file of one long unpunctuated run may still end with a stop
    return words == 0 or ends * 40 >= words


def sentence_groups(cues: list[Cue]) -> list[list[Cue]]:
    """Consecutive runs of `cues` (sorted by start) that each hold whole sentences; every cue in exactly one."""
    ordered = sorted(cues, key=lambda c: (c.start, c.end))
    punctuated = is_punctuated(ordered)
    longest = MAX_SENTENCE_SECONDS if punctuated else MAX_UNPUNCTUATED_SECONDS
    groups: list[list[Cue]] = []
    current: list[Cue] = []
    for cue in ordered:
        if current:
            prev = current[-1]
            boundary = (
                (punctuated and _ends_sentence(prev.text))
                or cue.start - max(c.end for c in current) >= PAUSE_SECONDS
                or cue.end - current[0].start > longest
                or (not punctuated and _opens_thought(cue.text))
            )
            if boundary:
                groups.append(current)
                current = []
        current.append(cue)
    if current:
        groups.append(current)
    return groups
