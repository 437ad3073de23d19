"""Word error rate of a transcript against a reference, after the usual normalisation.

Both texts are lower-cased, stripped of punctuation, hyphens split, and numbers from 0 to 99 spelled out
("40" and "forty" are the same word), so a recogniser is not charged for writing style.
"""

from __future__ import annotations

import re

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spell(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    tens, ones = divmod(n, 10)
    return [_TENS[tens]] + ([_ONES[ones]] if ones else [])


def normalise(text: str) -> list[str]:
    """The words of `text` as compared: lower case, no punctuation, small numbers spelled out."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[-–—/]", " ", text)
    text = re.sub(r"[^\w' ]+", " ", text)
    words: list[str] = []
    for w in text.split():
        w = w.strip("'")
        if not w:
            continue
        if w.isdigit() and int(w) < 100:
            words.extend(_spell(int(w)))
        else:
            words.append(w)
    return words


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Substitutions + deletions + insertions turning `ref` into `hyp` (Levenshtein over words)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
            prev, row[j] = row[j], cur
    return row[len(hyp)]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over the reference's word count (1.0 for an empty hypothesis, 0.0 for two empty texts)."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)
