"""Extractive sentence ranking: TextRank over a TF-IDF similarity graph, weighed with term and form features.

Centrality finds what the lecture keeps coming back to; term weight finds sentences that carry its key terms;
form features prefer self-contained statements (definitions, causes, numbers) over logistics, questions and
sentences that lean on the one before ("It does this ...").
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from .terms import Term
from .text import Sentence, finish_sentence

DAMPING = 0.85
ITERATIONS = 60

META = re.compile(
    r"\b(?:today we|let's|let us|(?:i'm|i am|we're|we are) going to (?:talk|look|discuss|cover|start|see|go|do|"
    r"review|move)|we will (?:talk|look|discuss|cover|start|see)|we'll (?:talk|look|discuss|cover|start|see)|"
    r"next (?:time|week|lecture|class)|last (?:time|week|lecture|class)|any questions|homework|the exam|"
    r"on the slide|this slide|as you can see|i want to|i'd like to|you guys|take a look|in this lecture|"
    r"textbook|office hours|see you|good (?:morning|afternoon|evening)|welcome)\b", re.IGNORECASE)
_DEFINITIONAL = re.compile(r"\b(?:is an?|are the|is the|refers to|is defined as|is called|are called|known as|"
                           r"means that|consists of|is composed of|is made of)\b", re.IGNORECASE)
_CAUSAL = re.compile(r"\b(?:because|leads? to|results? in|causes?|caused by|due to|therefore|so that|drives?|"
                     r"blocks?|inhibits?|increases?|decreases?)\b", re.IGNORECASE)
_LEANING = {"it", "this", "that", "these", "those", "they", "them", "he", "she", "which", "and", "but", "because",
            "also", "then", "here", "there", "its"}
DISCOURSE_LEAD = re.compile(r"^(?:(?:and )?so|now|well|okay|ok|alright|all right|right|basically|and|"
                             r"anyway|also)\b,?\s+", re.IGNORECASE)


def similarity_matrix(sentences: list[Sentence]) -> np.ndarray:
    """Cosine similarity of sentences' TF-IDF vectors (over content-word stems)."""
    n = len(sentences)
    if n == 0:
        return np.zeros((0, 0))
    df: Counter[str] = Counter()
    for s in sentences:
        df.update(set(s.keys))
    vocab = {k: i for i, k in enumerate(sorted(df))}
    mat = np.zeros((n, max(1, len(vocab))))
    for r, s in enumerate(sentences):
        for k, c in Counter(s.keys).items():
            mat[r, vocab[k]] = (1 + math.log(c)) * math.log(1 + n / df[k])
    norms = np.linalg.norm(mat, axis=1)
    norms[norms == 0] = 1.0
    mat /= norms[:, None]
    sim = mat @ mat.T
    np.fill_diagonal(sim, 0.0)
    return sim


def textrank(sim: np.ndarray) -> np.ndarray:
    """PageRank over the weighted sentence graph; isolated sentences keep the base rank."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0)
    out = sim.sum(axis=1)
    out[out == 0] = 1.0
    transition = sim / out[:, None]
    rank = np.full(n, 1.0 / n)
    for _ in range(ITERATIONS):
        new = (1 - DAMPING) / n + DAMPING * transition.T @ rank
        if np.abs(new - rank).sum() < 1e-9:
            rank = new
            break
        rank = new
    return rank


def form_weight(s: Sentence, language: str) -> float:
    """How well a sentence stands alone as a study point, from its length and wording."""
    n = s.n_words
    w = 1.0
    if n < 5:
        w *= 0.25
    elif n < 8:
        w *= 0.7
    elif n > 50:
        w *= 0.5
    elif n > 35:
        w *= 0.8
    if s.forced:
        w *= 0.6
    text = s.text.strip()
    if text.endswith("?"):
        w *= 0.35
    if language[:2] != "en":
        return w
    if META.search(text):
        w *= 0.35
    first = DISCOURSE_LEAD.sub("", text).split(" ", 1)[0].lower().strip(",")
    if first in _LEANING:
        w *= 0.7
    if re.match(r"^(?:i think|i guess|i mean|you know)\b", text, re.IGNORECASE):
        w *= 0.7
    if _DEFINITIONAL.search(text):
        w *= 1.25
    if _CAUSAL.search(text):
        w *= 1.1
    return w


def sentence_scores(sentences: list[Sentence], sim: np.ndarray, terms: list[Term], language: str) -> np.ndarray:
    """One score per sentence: centrality and key-term weight, times form and a light position prior."""
    n = len(sentences)
    if n == 0:
        return np.zeros(0)
    central = textrank(sim)
    central = central / central.max() if central.max() > 0 else central
    weight = np.zeros(n)
    top = terms[:20]
    best = top[0].score if top else 1.0
    for t in top:
        for order in t.sentences:
            weight[order] += t.score / best
    weight = weight / weight.max() if weight.max() > 0 else weight
    scores = np.zeros(n)
    for i, s in enumerate(sentences):
        position = 1.1 if s.pos == 0 else 1.0  # a slide's opening sentence often states its point
        scores[i] = (0.5 * central[i] + 0.5 * weight[i] + 0.05) * form_weight(s, language) * position
    return scores


def select(candidates: list[int], scores: np.ndarray, sim: np.ndarray, k: int, sentences: list[Sentence], *,
           max_sim: float = 0.5, spread: bool = False) -> list[int]:
    """The k best sentences (by index), skipping near-duplicates; with spread, favour slides not yet used."""
    chosen: list[int] = []
    used_slides: Counter[int] = Counter()
    pool = list(candidates)
    while pool and len(chosen) < k:
        def value(i: int) -> tuple[float, int]:
            v = scores[i] * (0.75 ** used_slides[sentences[i].slide] if spread else 1.0)
            return (v, -i)
        best = max(pool, key=value)
        pool.remove(best)
        if any(sim[best, j] > max_sim for j in chosen):
            continue
        if any(tidy_point(sentences[best].text).lower() == tidy_point(sentences[j].text).lower() for j in chosen):
            continue
        chosen.append(best)
        used_slides[sentences[best].slide] += 1
    return chosen


def tidy_point(text: str) -> str:
    """A sentence as a study point: no leading "So,"/"Now," and a capital and a full stop."""
    previous = None
    while previous != text:
        previous = text
        text = DISCOURSE_LEAD.sub("", text.strip())
    return finish_sentence(text)
