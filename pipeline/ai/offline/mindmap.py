"""A Mermaid mind map: the title at the root, one branch per section of the lecture, its terms and phrases below.

Sections are runs of neighbouring slides, cut where adjacent slides share the fewest key terms; each section's
strongest term heads its branch, the section's other terms hang below, and a term the lecture defines gets a
short phrase from that definition as a leaf. Node text is stripped of everything Mermaid reads as syntax.
"""

from __future__ import annotations

import re

import numpy as np

from ..schemas import Mindmap
from .analysis import Analysis
from .terms import Term, term_pattern
from .text import EN_STOPWORDS
from .title import make_title

MAX_NODES = 40
MAX_SECTIONS = 6
MAX_CHILDREN = 4
MAX_PHRASE_WORDS = 6
MAX_NODE_CHARS = 60
INDENT = "  "

_UNSAFE = re.compile(r"[()\[\]{}<>\"`;:|#%\\]+")
_PHRASE_CUT = {",", ";", "which", "that", "where", "and", "because", "so", "but", "while", "when", "as", "if"}
_COPULA = re.compile(r"^(?:is|are|was|were|refers to|means|describes)\s+(?:also\s+)?(?:called\s+)?"
                     r"(?:a|an|the)?\s*", re.I)


def node_text(text: str) -> str:
    """Text safe as a Mermaid mindmap node: no brackets, quotes or separators, one line, not too long."""
    text = _UNSAFE.sub(" ", text)
    text = " ".join(text.split()).strip(" -–—.,!?'")
    if len(text) > MAX_NODE_CHARS:
        text = text[:MAX_NODE_CHARS].rsplit(" ", 1)[0]
    return text


def short_phrase(sentence: str, term: Term) -> str:
    """A few words the sentence says about the term ("double membrane organelle"), or ""."""
    m = term_pattern(term).search(sentence)
    if not m:
        return ""
    rest = _COPULA.sub("", sentence[m.end():].strip(" ,"))
    out: list[str] = []
    for raw in rest.split():
        w = raw.strip(".!?")
        if not w or w.lower() in _PHRASE_CUT or len(out) >= MAX_PHRASE_WORDS:
            break
        out.append(w.rstrip(",;:"))
        if raw.endswith((",", ";", ":", ".", "!", "?")):
            break
    while out and out[-1].lower() in EN_STOPWORDS:
        out.pop()
    if len(out) < 2 or out[0].lower() in {"it", "they", "this", "these", "that", "those", "we", "you"}:
        return ""
    return node_text(" ".join(out))


def _sections(a: Analysis, k: int) -> list[list[int]]:
    """Slides with speech grouped into k runs, cut where neighbours share the fewest terms."""
    slides = [s.index for s in a.lecture.slides if a.cleaned.get(s.index)]
    if len(slides) <= 1 or k <= 1:
        return [slides]
    top = a.terms[:30]
    vec = np.zeros((len(slides), max(1, len(top))))
    where = {idx: r for r, idx in enumerate(slides)}
    for c, t in enumerate(top):
        for order in t.sentences:
            vec[where[a.sentences[order].slide], c] += 1
    norms = np.linalg.norm(vec, axis=1)
    norms[norms == 0] = 1
    vec /= norms[:, None]
    gaps = [(float(vec[i] @ vec[i + 1]), i) for i in range(len(slides) - 1)]
    cuts = sorted(i for _, i in sorted(gaps)[:k - 1])
    out, start = [], 0
    for c in cuts:
        out.append(slides[start:c + 1])
        start = c + 1
    out.append(slides[start:])
    return [s for s in out if s]


def _in_section(a: Analysis, t: Term, section: set[int]) -> int:
    return sum(1 for o in t.sentences if a.sentences[o].slide in section)


def make_mindmap(a: Analysis) -> Mindmap:
    """The Mindmap answer: Mermaid source that starts with 'mindmap', two spaces per level, at most 40 nodes."""
    title = node_text(make_title(a)) or "Lecture"
    lines = ["mindmap", f"{INDENT}root(({title}))"]
    if not a.terms:
        return Mindmap(mermaid="\n".join(lines))
    n_text = sum(1 for v in a.cleaned.values() if v)
    k = max(1, min(MAX_SECTIONS, round(n_text / 2), len(a.terms) // 2 or 1))
    used: set[tuple[str, ...]] = set()
    branches: list[tuple[Term, list[Term]]] = []
    for section in _sections(a, k):
        members = set(section)
        local = [t for t in a.terms if t.key not in used and _in_section(a, t, members)]
        local.sort(key=lambda t: (-t.score * _in_section(a, t, members) / t.count, t.sentences[0]))
        if not local:
            continue
        head = local[0]
        used.add(head.key)
        children = []
        for t in local[1:]:
            if len(children) >= MAX_CHILDREN:
                break
            if set(t.key) <= set(head.key):
                continue
            children.append(t)
            used.add(t.key)
        branches.append((head, children))
    budget = MAX_NODES - 1
    plan: list[tuple[int, str, Term | None]] = []
    for head, children in branches:
        if budget <= 0:
            break
        plan.append((2, node_text(head.label()), head))
        budget -= 1
        for child in children:
            if budget <= 0:
                break
            plan.append((3, node_text(child.label()), child))
            budget -= 1
    # Leaves go last so that branches and their terms are never crowded out by details.
    final: list[str] = []
    for level, text, term in plan:
        if not text:
            continue
        final.append(f"{INDENT * level}{text}")
        if term is not None and level == 3 and budget > 0:
            phrase = _leaf(a, term)
            if phrase and phrase.lower() != text.lower():
                final.append(f"{INDENT * 4}{phrase}")
                budget -= 1
    return Mindmap(mermaid="\n".join(lines + final))


def _leaf(a: Analysis, term: Term) -> str:
    orders = ([term.defined_in] if term.defined_in is not None else []) + sorted(
        term.sentences, key=lambda o: (-a.scores[o], o))
    for o in orders:
        phrase = short_phrase(a.sentences[o].text, term)
        if phrase:
            return phrase
    return ""
