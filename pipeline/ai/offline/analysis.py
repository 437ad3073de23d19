"""One reading of a lecture shared by every offline task: cleaned slides, sentences, terms and sentence scores.

Built once per distinct lecture (a small cache keyed by the lecture's content), so running six tasks over the
same lecture cleans and ranks it once.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..schemas import LectureInput
from .clean import clean_text
from .rank import sentence_scores, similarity_matrix
from .terms import Term, extract_terms, synonyms
from .text import Sentence, content_keys, function_words, generic_words, split_sentences, stopwords, weak_words

MAX_SENTENCE_WORDS = 45     # longer runs (unpunctuated speech) are cut at clause breaks for ranking
TARGET_PIECE_WORDS = 25


@dataclass
class Analysis:
    """Everything the tasks derive from one lecture."""

    lecture: LectureInput
    language: str
    stops: frozenset[str]
    cleaned: dict[int, str]            # showing index → cleaned text ("" when nothing was said)
    sentences: list[Sentence]
    terms: list[Term]
    scores: np.ndarray                 # one score per sentence, higher is more central
    similarity: np.ndarray             # sentence × sentence cosine similarity
    synonyms: dict[tuple[str, ...], set[tuple[str, ...]]]   # terms named as one thing

    @property
    def has_text(self) -> bool:
        return bool(self.sentences)

    def slide_numbers(self, indexes) -> list[int]:
        """The handout's slide numbers of some passage indexes, ascending, each once."""
        return sorted({n for n in (self.lecture.number_of(i) for i in indexes) if n is not None})

    def slide_sentences(self, index: int) -> list[Sentence]:
        """The sentences said while one showing was on screen, in order."""
        return [s for s in self.sentences if s.slide == index]


def _pieces(sentence: str) -> list[tuple[str, bool]]:
    """A sentence, or for an over-long one, its clause-sized pieces (flagged as forced cuts)."""
    ws = sentence.split()
    if len(ws) <= MAX_SENTENCE_WORDS:
        return [(sentence, False)]
    out: list[tuple[str, bool]] = []
    start = 0
    while len(ws) - start > MAX_SENTENCE_WORDS:
        window = range(start + 12, min(len(ws) - 6, start + MAX_SENTENCE_WORDS))
        # Prefer cutting after a comma, then before a conjunction, near the target length.
        best = None
        for i in window:
            rank = 0 if ws[i - 1].endswith((",", ";", ":")) else (
                1 if ws[i].lower() in {"and", "but", "because", "which", "so", "where", "while", "when"} else 2)
            cost = (rank, abs(i - start - TARGET_PIECE_WORDS))
            if best is None or cost < best[0]:
                best = (cost, i)
        cut = best[1] if best else start + MAX_SENTENCE_WORDS
        out.append((" ".join(ws[start:cut]).rstrip(",;:"), True))
        start = cut
    out.append((" ".join(ws[start:]), True))
    return out


def build(lecture: LectureInput) -> Analysis:
    """Clean, split, extract terms and score sentences for one lecture."""
    language = (lecture.language or "en").lower()
    stops = stopwords(language)
    cleaned = {s.index: clean_text(s.text, language) for s in lecture.slides}
    sentences: list[Sentence] = []
    for slide in lecture.slides:
        pos = 0
        for sent in split_sentences(cleaned[slide.index]):
            for piece, forced in _pieces(sent):
                if not re.search(r"[^\W\d_]", piece):
                    continue
                sentences.append(Sentence(slide=slide.index, order=len(sentences), pos=pos, text=piece,
                                          keys=content_keys(piece, stops), forced=forced))
                pos += 1
    with_text = sum(1 for s in lecture.slides if cleaned[s.index])
    terms = extract_terms(sentences, function_words(language), generic_words(language), weak_words(language),
                          with_text,
                          capitals_mean_names=language[:2] not in {"de", "lb"}, language=language)
    sim = similarity_matrix(sentences)
    scores = sentence_scores(sentences, sim, terms, language)
    return Analysis(lecture=lecture, language=language, stops=stops, cleaned=cleaned, sentences=sentences,
                    terms=terms, scores=scores, similarity=sim, synonyms=synonyms(sentences, terms))


_CACHE: OrderedDict[str, Analysis] = OrderedDict()
_CACHE_SIZE = 4
_LOCK = threading.Lock()


def analyse(lecture: LectureInput) -> Analysis:
    """The lecture's analysis, reused while the same lecture is being worked on."""
    digest = hashlib.sha256(lecture.model_dump_json().encode("utf-8")).hexdigest()
    with _LOCK:
        hit = _CACHE.get(digest)
        if hit is not None:
            _CACHE.move_to_end(digest)
            return hit
    result = build(lecture)
    with _LOCK:
        _CACHE[digest] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
