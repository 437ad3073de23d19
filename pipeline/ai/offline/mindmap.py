"""A mind map tree: the lecture's topic at the root, its main terms as branches, nearby terms below.

Branches are the lecture's strongest distinct terms in the order it presents them; each branch gathers the terms
said in the same breath (the sentences that name the topic or continue about it on its slide), and a term the
lecture defines as a noun phrase ("X is a double membrane organelle") gets that phrase as a leaf. Every node is
a term or a noun phrase, never a piece of a sentence.
"""

from __future__ import annotations

import re

from ..schemas import Mindmap, MindmapTopic
from .analysis import Analysis
from .terms import BASE_VERBS, VERB_FORMS, Term, term_pattern
from .text import EN_STOPWORDS, capitalise_first
from .table import choose_topics, owned_sentences, slide_topics
from .title import make_title

MAX_NODES = 40
MAX_BRANCHES = 7
MAX_CHILDREN = 3
MAX_PHRASE_WORDS = 6
MAX_NODE_CHARS = 60

_UNSAFE = re.compile(r"[()\[\]{}<>\"`;:|#%\\]+")
_PHRASE_CUT = {",", ";", "which", "that", "where", "and", "because", "so", "but", "while", "when", "as", "if"}
_COPULA = re.compile(r"^(?:is|are|was|were|refers to|means|describes)\s+(?:also\s+)?(?:called\s+)?"
                     r"(?:(?:a|an|the)\s+)?", re.I)


def node_text(text: str) -> str:
    """Text safe as a Mermaid mindmap node: no brackets, quotes or separators, one line, not too long."""
    text = re.sub(r"\s*:\s+", " - ", text)
    text = _UNSAFE.sub(" ", text)
    text = " ".join(text.split()).strip(" -–—.,!?'")
    if len(text) > MAX_NODE_CHARS:
        text = text[:MAX_NODE_CHARS].rsplit(" ", 1)[0]
    return text


def short_phrase(a: Analysis, sentence: str, term: Term) -> str:
    """A few words the sentence says about the term as its subject ("double membrane organelle"), or ""."""
    longer = [t for t in a.terms if len(t.key) > len(term.key) and set(term.key) <= set(t.key)]
    for m in term_pattern(term).finditer(sentence):
        if any(lm.start() <= m.start() < lm.end() for t in longer for lm in term_pattern(t).finditer(sentence)):
            continue  # "ATP" inside "ATP synthase"
        lead = sentence[:m.start()].split()
        if len([w for w in lead if w.lower() not in {"so", "now", "the", "a", "an", "and"}]) > 1:
            continue  # not the subject of its sentence
        rest = sentence[m.end():].strip()
        if rest.startswith(","):
            continue
        copula = _COPULA.match(rest)
        first = rest.split(" ", 1)[0].lower().strip(",.")
        if not copula and not (first in VERB_FORMS or first in BASE_VERBS or first in {"has", "have"}):
            continue
        return _phrase(_COPULA.sub("", rest) if copula else rest)
    return ""


def _phrase(rest: str) -> str:
    out: list[str] = []
    for raw in rest.split():
        w = raw.strip(".!?")
        if not w or w.lower() in _PHRASE_CUT or len(out) >= MAX_PHRASE_WORDS:
            break
        out.append(w.rstrip(",;:"))
        if raw.endswith((",", ";", ":", ".", "!", "?")):
            break
    while out and (out[-1].lower() in EN_STOPWORDS or out[-1].lower() in {"of", "the", "a", "an"}):
        out.pop()
    if len(out) < 2 or out[0].lower() in {"it", "they", "this", "these", "that", "those", "we", "you"}:
        return ""
    return node_text(" ".join(out))


def make_mindmap(a: Analysis) -> Mindmap:
    """The Mindmap answer: a tree of the lecture's terms (no sentence pieces), at most MAX_NODES nodes."""
    title = make_title(a)
    title = capitalise_first(node_text(title.split(": ", 1)[-1]) or node_text(title) or "Lecture")
    root = MindmapTopic(text=title)
    titled = slide_topics(a)
    if len(titled) >= 3:
        return Mindmap(root=_from_titles(a, root, titled))
    topics = choose_topics(a, ["Topic"])
    if not topics:
        return Mindmap(root=root)
    heads = sorted(topics[:MAX_BRANCHES], key=lambda t: t.sentences[0])
    owned = owned_sentences(a, heads)
    used = {t.key for t in heads} | {k for t in heads for k in a.synonyms.get(t.key, set())}
    budget = MAX_NODES - 1 - len(heads)
    for h, head in enumerate(heads):
        mine = set(owned[h])
        near = [t for t in a.terms if t.key not in used and not t.category
                and not set(t.key) <= set(head.key) and any(o in mine for o in t.sentences)]
        near.sort(key=lambda t: (-sum(o in mine for o in t.sentences) * t.score, t.sentences[0]))
        branch = MindmapTopic(text=node_text(head.label()))
        seen = {branch.text.lower()}
        phrase = _leaf(a, head)
        if phrase and phrase.lower() not in seen and budget > 0:
            branch.children.append(MindmapTopic(text=phrase))
            seen.add(phrase.lower())
            budget -= 1
        for child in [t for t in near if not _loose_word(t)][:MAX_CHILDREN]:
            text = node_text(child.label())
            if not text or text.lower() in seen or budget <= 0:
                continue
            used.add(child.key)
            seen.add(text.lower())
            branch.children.append(MindmapTopic(text=text))
            budget -= 1
        root.children.append(branch)
    return Mindmap(root=root)


def _from_titles(a: Analysis, root: MindmapTopic, titled: list[tuple[str, list[int]]]) -> MindmapTopic:
    """Branches named by the slides' own titles (OCR), each with the key terms said on those slides."""
    used: set[tuple[str, ...]] = set()
    budget = MAX_NODES - 1 - min(len(titled), MAX_BRANCHES)
    bare = re.compile(r"^(?:the|an?)\s+", re.I)
    branches = {bare.sub("", node_text(name)).lower() for name, _ in titled[:MAX_BRANCHES]}
    for name, indexes in titled[:MAX_BRANCHES]:
        branch = MindmapTopic(text=node_text(name))
        seen = {branch.text.lower()}
        on_slide = {s.order for i in indexes for s in a.slide_sentences(i)}
        near = [t for t in a.terms if t.key not in used and not t.category and not _loose_word(t)
                and on_slide & set(t.sentences)]
        near.sort(key=lambda t: (-len(on_slide & set(t.sentences)) * t.score, t.sentences[0]))
        for term in near:
            text = node_text(term.label())
            if len(branch.children) >= MAX_CHILDREN or budget <= 0:
                break
            if not text or text.lower() in seen or bare.sub("", text).lower() in branches:
                continue        # a term that names a branch of its own is not repeated under another
            used.add(term.key)
            seen.add(text.lower())
            branch.children.append(MindmapTopic(text=text))
            budget -= 1
        root.children.append(branch)
    return root


_NOT_TERMS = {"lower", "higher", "faster", "slower", "larger", "smaller", "increase", "decrease", "change", "make",
              "use", "need", "work", "keep", "get", "give", "take", "show", "mean", "means"}


def _loose_word(term: Term) -> bool:
    """A single verb or comparative ("Lower") picked up as a term: no node of a map of ideas."""
    if len(term.key) != 1:
        return False
    word = term.display.lower()
    return word in _NOT_TERMS or word in VERB_FORMS or word in BASE_VERBS


def _leaf(a: Analysis, term: Term) -> str:
    """What the lecture defines the term as ("a protein catalyst"), when it says so in a noun phrase; else ""."""
    if term.defined_in is None:
        return ""
    phrase = short_phrase(a, a.sentences[term.defined_in].text, term)
    ws = phrase.lower().split()
    # A noun phrase only: "binds in a pocket called" or "has to get over an energy" is a sentence cut short.
    if not ws or any(w in VERB_FORMS or w in BASE_VERBS or w in {"has", "have", "called", "is", "are"}
                     for w in ws) or ws[-1] in EN_STOPWORDS:
        return ""
    return capitalise_first(phrase)
