"""Rolling auto-captions (YouTube, as yt-dlp saves them) merged so each phrase is said once.

Such files show two lines at a time: each cue repeats the line before and adds the next words, and a short
cue between them holds the finished line again. Read plainly, every phrase appears two or three times. When
most cues start with the words the previous cue ended on, the file is rolling: each cue keeps only the words
that are new, with its own times, and a cue with nothing new goes.
"""

from __future__ import annotations

import re

from ..types import Cue

# A file is rolling when at least this share of cues opens with the previous cue's closing words.
ROLLING_SHARE = 0.5
# Overlaps shorter than this (in words) are chance in ordinary captions ("no. No, that is wrong").
MIN_OVERLAP_WORDS = 2

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def _key(word: str) -> str:
    found = _WORD.findall(word.lower())
    return "".join(found) or word


def _overlap(tail: list[str], words: list[str]) -> int:
    """Largest k such that the first k of `words` are the last k of `tail` (compared without case or marks)."""
    a = [_key(w) for w in tail[-len(words):]] if words else []
    b = [_key(w) for w in words]
    for k in range(min(len(a), len(b)), 0, -1):
        if a[-k:] == b[:k]:
            return k
    return 0


def is_rolling(cues: list[Cue]) -> bool:
    """True when most cues open with the words the cue before them ended on."""
    pairs = rolled = 0
    for prev, cue in zip(cues, cues[1:]):
        words = cue.text.split()
        if not words or not prev.text.strip():
            continue
        pairs += 1
        k = _overlap(prev.text.split(), words)
        if k >= min(MIN_OVERLAP_WORDS, len(words)):
            rolled += 1
    return pairs > 0 and rolled >= ROLLING_SHARE * pairs


def merge_rolling(cues: list[Cue]) -> list[Cue]:
    """Cues (sorted by start) with repeated leading words removed when the file rolls; others unchanged."""
    if not is_rolling(cues):
        return list(cues)
    out: list[Cue] = []
    said: list[str] = []                     # every word kept so far, in order
    for cue in cues:
        words = cue.text.split()
        new = words[_overlap(said, words):]
        if new:
            out.append(Cue(cue.start, cue.end, " ".join(new)))
            said.extend(new)
    return out
