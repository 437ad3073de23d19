"""Recall practice: five-choice cloze questions from the lecture's own complete sentences, distractors from the
lecture's other terms of the same kind, grouped under what they make a student recall.

Without a model nothing here is a real vignette, so nothing pretends to be one: each question quotes a whole
sentence the lecturer said, names its slide, and blanks a term ("Complete the sentence from slide 4: ...").

Two templates: "identify" blanks the objective's term in one or two sentences about it and asks which term is
described (under the clinical style, a disease's findings become "A patient presents with ..."); "complete"
blanks another key term in a sentence about the objective's term. The answer, the quoted sentence and its slide
make the explanation. A question is written only when four fitting distractors exist: fewer questions, never
nonsense.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

from ...errors import AIOutputInvalid
from ..schemas import LETTERS, Choice, Vignette, VignetteSet
from .analysis import Analysis
from .points import lecture_points
from .table import owned_sentences, starts_with
from .terms import Term, term_pattern
from .rank import DISCOURSE_LEAD, META, tidy_point

BLANK = "_____"
MAX_OBJECTIVES = 6
MAX_QUESTIONS_PER_OBJECTIVE = 3
MAX_QUESTIONS = 15
MIN_STEM_WORDS = 6
MAX_STEM_SENTENCE_WORDS = 45

RECALL_FRAME = "Complete the sentence from slide {n}: “{s}”"
_FRAGMENT_START = re.compile(r"^[a-z]")          # a sentence picked up mid-way ("and then it binds ...")
_PRESENTS = re.compile(r"\bpresents? with\s+(?P<f>[^.;]+)", re.I)
_WORKUP = re.compile(r"\bdiagnos\w*\s+(?:is\s+)?(?:made\s+)?(?:by|with|on)\s+(?P<f>[^.;]+)", re.I)


@dataclass
class _Draft:
    stem: str
    question: str
    answer: Term
    distractors: list[Term]
    sentence: int              # the supporting sentence's order
    kind: str                  # "identify", "clinical" or "complete"


def _seed(text: str) -> random.Random:
    return random.Random(int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16))


def _kind_similarity(answer: Term, other: Term) -> float:
    score = 3.0 * len(answer.kinds & other.kinds)
    if answer.head == other.head:
        score += 2
    if answer.n_words == other.n_words:
        score += 1
    if answer.acronym == other.acronym:
        score += 1
    la, lo = len(answer.display), len(other.display)
    if min(la, lo) / max(la, lo) >= 0.6:
        score += 1
    return score


def _overlap(x: Term, y: Term) -> bool:
    """True when one term is part of the other or both start alike ("beta thalassemia", "beta globin gene");
    sharing a class word ("folate deficiency", "iron deficiency anemia") is what same-kind options do."""
    return set(x.key) <= set(y.key) or set(y.key) <= set(x.key) or x.key[0] == y.key[0]


def _distractors(a: Analysis, answer: Term, stem_text: str, avoid: set[tuple[str, ...]]) -> list[Term]:
    """Four terms of the answer's kind that the stem does not name and that are not the answer in disguise.

    A term said in the same breath as the answer (its sentences, or the ones that continue about it) may be
    part of the right answer ("colon cancer" beside iron deficiency anemia), so it is never a distractor.
    """
    near = set(owned_sentences(a, [answer])[0])
    pool = []
    for t in a.terms:
        if t.key == answer.key or t.key in avoid or _overlap(t, answer) or near & set(t.sentences):
            continue
        if term_pattern(t).search(stem_text):
            continue
        if t.label().lower() == answer.label().lower():
            continue
        pool.append(t)
    pool.sort(key=lambda t: (-_kind_similarity(answer, t), -t.score, t.sentences[0]))
    chosen: list[Term] = []
    for t in pool:
        if any(_overlap(t, c) for c in chosen):
            continue  # "ATP" beside "ATP synthase" gives the pair away
        chosen.append(t)
        if len(chosen) == 4:
            break
    return chosen if len(chosen) == 4 else []


def _masked(a: Analysis, order: int, term: Term, synonyms: set[tuple[str, ...]]) -> str:
    """The sentence with the term (and its synonyms) blanked, or "" when that leaves too little to go on."""
    sentence = a.sentences[order]
    text = sentence.text
    # Only a whole sentence as it was said: not a piece of a run-on cut for ranking, not a question, not one
    # picked up in the middle, not one about the lecture itself ("Today we're going to talk about ...").
    if sentence.forced or len(text.split()) > MAX_STEM_SENTENCE_WORDS or text.rstrip().endswith("?") \
            or not text.rstrip().endswith((".", "!")) or _FRAGMENT_START.match(text) or META.search(text):
        return ""
    # A longer term containing this one would give the blank away ("_____ synthase makes ATP").
    for t in a.terms:
        if t.key != term.key and len(t.key) > len(term.key) and set(term.key) <= set(t.key) \
                and term_pattern(t).search(text):
            return ""
    text = DISCOURSE_LEAD.sub("", text)
    masked = term_pattern(term).sub(BLANK, text)
    for t in a.terms:
        if t.key in synonyms:
            masked = term_pattern(t).sub(BLANK, masked)
    if BLANK not in masked:
        return ""
    rest = [w for w in masked.replace(BLANK, " ").split() if re.search(r"\w", w)]
    if len(rest) < MIN_STEM_WORDS:
        return ""
    masked = tidy_point(masked) if not masked.startswith(BLANK) else masked
    return masked if masked[-1] in ".!?" else masked + "."


def _about(a: Analysis, term: Term) -> list[int]:
    """Sentences that name the term, the defining one first, then the best ranked."""
    rest = sorted((o for o in term.sentences if o != term.defined_in), key=lambda o: (-a.scores[o], o))
    return ([term.defined_in] if term.defined_in is not None else []) + rest


def _clinical_stem(a: Analysis, term: Term, synonyms: set[tuple[str, ...]]) -> tuple[str, int] | None:
    """ "A patient presents with ..." from the lecture's own findings for a disease, if it gives any."""
    # Its sentences and those continuing about it on the same slide ("Patients present with ..."), until another
    # disease becomes the subject.
    rivals = [t for t in a.terms[:30] if t.key != term.key and "disease" in t.kinds and not t.category]
    mine = set(owned_sentences(a, [term] + rivals)[0])
    findings = workup = None
    for o in sorted(mine):
        text = a.sentences[o].text
        if findings is None and (m := _PRESENTS.search(text)):
            findings = (m.group("f"), o)
        elif workup is None and (m := _WORKUP.search(text)):
            workup = (m.group("f"), o)
    if findings is None:
        return None
    parts = [f"A patient presents with {findings[0].strip()}."]
    if workup is not None:
        parts.append(f"Work-up: {workup[0].strip()}.")
    stem_text = " ".join(parts)
    for t in [term] + [t for t in a.terms if t.key in synonyms]:
        stem_text = term_pattern(t).sub(BLANK, stem_text)
    if BLANK in stem_text:
        return None  # the findings name the disease itself
    return stem_text, findings[1]


def _with_article(a: Analysis, term: Term) -> str:
    """The term as the lecture says it: "the Krebs cycle", "a hash table", "glycolysis"."""
    counts = {"the": 0, "a": 0, "an": 0, "": 0}
    rx = term_pattern(term)
    for o in term.sentences:
        text = a.sentences[o].text
        for m in rx.finditer(text):
            before = text[:m.start()].split()
            word = before[-1].lower() if before else ""
            counts[word if word in counts else ""] += 1
    best = max(("the", "a", "an", ""), key=lambda k: (counts[k], k == ""))
    return f"{best} {term.display}" if best and counts[best] * 2 > sum(counts.values()) else term.display


def _objective_text(a: Analysis, term: Term, clinical: bool) -> str:
    label = _with_article(a, term)
    if clinical and "disease" in term.kinds:
        return f"Recognise {label} from the findings the lecture gives"
    return f"Recall what the lecture says about {label}"


def _frame(a: Analysis, order: int, masked: str) -> str:
    return RECALL_FRAME.format(n=a.lecture.number_of(a.sentences[order].slide), s=masked)


def _objective_terms(a: Analysis) -> list[Term]:
    """Terms the key points are about, then the strongest remaining terms."""
    out: list[Term] = []
    for order in lecture_points(a):
        text = a.sentences[order].text
        named = [t for t in a.terms[:25] if not t.category and starts_with(text, t)]
        named.sort(key=lambda t: (-len(t.key), -t.score))
        for t in named[:1]:
            if t not in out:
                out.append(t)
    for t in a.terms:
        if len(out) >= MAX_OBJECTIVES * 2:
            break
        if not t.category and t not in out:
            out.append(t)
    return out


def _difficulty(answer: Term, distractors: list[Term], kind: str, defining: bool) -> str:
    score = 0
    if answer.count <= 2:
        score += 1
    if kind in {"complete", "clinical"}:
        score += 1
    if sum(_kind_similarity(answer, d) for d in distractors) / 4 >= 4:
        score += 1
    if defining:
        score -= 1
    return "easy" if score <= 0 else ("medium" if score == 1 else "hard")


def _finish(a: Analysis, d: _Draft, objective: str) -> Vignette:
    options = [d.answer] + d.distractors
    rng = _seed(d.stem + "|" + d.answer.display)
    rng.shuffle(options)
    letter = LETTERS[options.index(d.answer)]
    s = a.sentences[d.sentence]
    explanation = (f"{d.answer.label()} is correct. The lecture says (slide {a.lecture.number_of(s.slide)}): “{s.text}” "
                   f"The other options are terms from the same lecture that this does not describe.")
    return Vignette(objective=objective, stem=d.stem, question=d.question,
                    choices=[Choice(letter=LETTERS[i], text=t.label()) for i, t in enumerate(options)],
                    answer=letter, explanation=explanation,
                    difficulty=_difficulty(d.answer, d.distractors, d.kind, d.sentence == d.answer.defined_in),
                    slides=a.slide_numbers([s.slide]))


def vignettes(a: Analysis) -> VignetteSet:
    """The VignetteSet answer: objectives with 1–3 five-choice questions each, as many as the lecture supports."""
    if not a.has_text:
        raise AIOutputInvalid("vignettes", "the lecture has no captions to write questions from; add captions or "
                              "a transcript and run it again")
    clinical = a.lecture.vignette_style == "clinical"
    synonyms = a.synonyms
    used_sentences: set[int] = set()
    objectives: list[str] = []
    questions: list[Vignette] = []
    for term in _objective_terms(a):
        if len(objectives) >= MAX_OBJECTIVES or len(questions) >= MAX_QUESTIONS:
            break
        syn = synonyms.get(term.key, set())
        drafts: list[_Draft] = []
        if clinical and "disease" in term.kinds:
            found = _clinical_stem(a, term, syn)
            if found and found[1] not in used_sentences:
                stem_text, order = found
                ds = _distractors(a, term, stem_text, syn)
                if ds:
                    drafts.append(_Draft(stem_text, "Which of the following is the most likely diagnosis?",
                                         term, ds, order, "clinical"))
                    used_sentences.add(order)
        for order in _about(a, term):
            if len(drafts) >= MAX_QUESTIONS_PER_OBJECTIVE:
                break
            if order in used_sentences:
                continue
            # "complete": blank another key term in this sentence about the objective's term.
            other = next((t for t in a.terms[:30] if t.key != term.key and not set(t.key) & set(term.key)
                          and t.key not in syn and not t.category and term_pattern(t).search(a.sentences[order].text)),
                         None)
            masked = _masked(a, order, term, syn)
            if masked:
                framed = _frame(a, order, masked)
                ds = _distractors(a, term, masked, syn)
                if ds:
                    drafts.append(_Draft(framed, "Which term belongs in the blank?", term, ds, order,
                                         "identify"))
                    used_sentences.add(order)
                    continue
            if other is not None and len(drafts) >= 1:
                other_syn = synonyms.get(other.key, set())
                masked = _masked(a, order, other, other_syn)
                if masked:
                    ds = _distractors(a, other, masked, other_syn)
                    if ds:
                        framed = _frame(a, order, masked)
                        drafts.append(_Draft(framed, f"Which term correctly completes this statement about "
                                             f"{term.display}?", other, ds, order, "complete"))
                        used_sentences.add(order)
        if not drafts:
            continue
        objective = _objective_text(a, term, clinical)
        objectives.append(objective)
        for d in drafts[:MAX_QUESTIONS_PER_OBJECTIVE]:
            if len(questions) < MAX_QUESTIONS:
                questions.append(_finish(a, d, objective))
    if not questions:
        raise AIOutputInvalid("vignettes", "the lecture is too short to write five-choice questions from: it names "
                              "fewer than five distinct key terms; longer captions would help")
    return VignetteSet(objectives=objectives, questions=questions)
