"""Key terms of a lecture: noun-phrase-like n-grams ranked by TF-IDF across slides.

A candidate is a run of 1–4 content words inside one clause ("of" may join two: "loop of Henle"). Its score is
its count times a smoothed IDF over slides (topics local to a few slides stand out, the lecture's theme still
ranks by sheer frequency), with bonuses for longer phrases, capitalised names and acronyms, and terms the
lecturer defines ("X is ...", "called X"). A shorter phrase that mostly occurs inside a longer one is dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .text import WORD, Sentence, stem

MAX_TERM_WORDS = 4

# Verbs that explain rather than name; as bare words, or inflected anywhere in a phrase, they are not terms.
_VERBS = """
produce cause bind require contain increase decrease lead result allow form occur involve reduce release convert
generate create provide help affect depend consist activate inhibit block regulate control move pass carry store
break build add remove change develop present treat diagnose happen become describe explain define compare
determine run return write read print check compute calculate measure split drive pump flow fall fill turn
spread map hold jump resize rehash insert keep sort give make take show get put set go come see know think want
look mean call find tell ask try seem feel leave begin start stop open close shows share look build enter
exit sum use classify cost handle lead rise drop reach apply follow act differ vary happen work eject contract relax
""".split()
VERB_FORMS: set[str] = set()
for _v in _VERBS:
    base = _v[:-1] if _v.endswith("e") else _v
    VERB_FORMS.update({_v + "s", _v + "es", base + "ed", base + "ing", _v + "ed", _v + "d"})
    if _v.endswith("y"):
        VERB_FORMS.update({_v[:-1] + "ies", _v[:-1] + "ied"})
VERB_FORMS.update({"led", "ran", "made", "took", "gave", "went", "came", "saw", "knew", "thought", "found",
                    "told", "left", "began", "broke", "built", "held", "kept", "split", "spread", "brought"})
BASE_VERBS = set(_VERBS)
# Verbs that are never nouns: in any form they end a name ("classify anemia" is an instruction, not a term).
_NEVER_NOUNS = """
classify explain describe define compare determine calculate compute produce require contain allow involve
provide affect depend consist inhibit regulate convert generate create handle remove reduce make take give get
see know think want mean find tell ask seem become happen include
""".split()
for _v in _NEVER_NOUNS:
    VERB_FORMS.add(_v)

_ADVERB_ENDINGS = ("ally", "ously", "ently", "antly", "ively", "ately", "ibly", "ably", "fully", "lessly", "edly",
                   "ingly", "arly", "ctly", "ghly", "ntly", "rly")
_DEFINING = re.compile(r"^(?:is|are|was|were|refers|means|describes)\b|^(?:is|are) (?:defined|called|known)\b",
                       re.IGNORECASE)
SUBJECT_LEAD = {"the", "a", "an", "so", "now", "and", "but", "then", "well", "first", "next", "\"", "“", "("}
_NAMING_BEFORE = {"called", "termed", "named"}   # "called X"; "known as X" is checked apart


@dataclass
class Term:
    """A key term with where it occurs and how it ranks."""

    key: tuple[str, ...]
    display: str
    count: int
    score: float
    slides: list[int]                       # showing indexes, in lecture order
    sentences: list[int]                    # Sentence.order values, in order
    defined_in: int | None = None           # the sentence that defines it, if any
    capitalised: bool = False
    acronym: bool = False
    variants: set[str] = field(default_factory=set)   # every surface form seen, lower case
    category: bool = False                  # a word that heads several other terms ("anemia")

    @property
    def kinds(self) -> set[str]:
        return kinds_of(self.key) | ({"acronym"} if self.acronym else set())

    @property
    def n_words(self) -> int:
        return len(self.key)

    @property
    def head(self) -> str:
        return self.key[-1]

    def label(self) -> str:
        """The term as a heading: first letter upper-cased unless it is written in a special case (mRNA)."""
        first = self.display.split()[0]
        if first[:1].islower() and any(ch.isupper() for ch in first[1:]):
            return self.display
        return self.display[:1].upper() + self.display[1:]


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(word) >= 2 and len(letters) >= 1 and sum(c.isupper() for c in letters) >= 2 and \
        sum(c.isupper() for c in letters) >= len(letters) - 1


_LY_NOUNS = {"assembly", "anomaly", "monopoly", "butterfly", "family", "supply", "homily", "rally", "jelly",
             "belly", "folly", "holly", "lily", "reply", "apply", "multiply", "italy", "dragonfly", "firefly",
             "ally", "melancholy", "hyperplasty", "emily", "molly"}


def _adverb(lw: str) -> bool:
    if not lw.isalpha():
        return False  # "Howell-Jolly": a hyphenated name, not "-ly" manner
    return lw.endswith(_ADVERB_ENDINGS) or (len(lw) >= 6 and lw.endswith("ly") and lw not in _LY_NOUNS)


def _plain(word: str, function_words: frozenset[str]) -> bool:
    """A word that may stand at either end of a term: not a function word, verb form, adverb or bare number."""
    lw = word.lower()
    if lw in function_words or lw in VERB_FORMS or lw.isdigit() or _adverb(lw):
        return False
    return len(word) >= 3 or _is_acronym(word) or any(c.isdigit() for c in word)


def _may_end(word: str, function_words: frozenset[str], generic: frozenset[str]) -> bool:
    lw = word.lower()
    if not _plain(word, function_words) or lw in generic:
        return False
    return not (len(lw) > 5 and lw.endswith("ed") and not lw.endswith("eed"))  # "glucose produced" ends a clause


def _plural(word: str) -> bool:
    lw = word.lower()
    return len(lw) > 3 and lw.endswith("s") and not lw.endswith(("ss", "us", "is"))


def _may_be_inside(word: str, function_words: frozenset[str], links: frozenset[str] = frozenset({"of"})) -> bool:
    lw = word.lower()
    return lw in links or (lw not in function_words and lw not in VERB_FORMS and not lw.isdigit()
                          and not _adverb(lw))


def _runs(text: str) -> list[list[re.Match]]:
    """Word matches grouped into clauses: anything but spaces between two words ends a run (hyphens are words)."""
    runs: list[list[re.Match]] = []
    current: list[re.Match] = []
    last_end = None
    for m in WORD.finditer(text):
        if last_end is not None and text[last_end:m.start()].strip():
            if current:
                runs.append(current)
            current = []
        current.append(m)
        last_end = m.end()
    if current:
        runs.append(current)
    return runs


def _defines(before: list[str], after: str, position: int) -> bool:
    """True when the words around an occurrence define it: "The X is ...", "called X", "known as the X"."""
    lead = [w.lower().strip(",") for w in before]
    if position == 0 and len(lead) <= 1 and (not lead or lead[0] in {"the", "a", "an"}):
        return bool(_DEFINING.match(after.strip()))
    while lead and lead[-1] in {"the", "a", "an"}:
        lead.pop()
    if len(lead) >= 2 and lead[-1] == "as":
        return lead[-2] in {"known", "referred", "described", "defined"}
    return bool(lead) and lead[-1] in _NAMING_BEFORE


# Words that join a name's parts ("loop of Henle", "cycle de Krebs"), and articles that mark a noun, per language.
_LINKS = {"en": {"of"}, "fr": {"de", "du", "des"}, "es": {"de", "del"}, "it": {"di", "del", "della", "dei", "degli"},
          "pt": {"de", "do", "da", "dos", "das"}, "nl": {"van"}, "de": {"von"}}
_ARTICLES = {"fr": {"le", "la", "les", "l'", "un", "une", "du", "des", "au", "aux", "ce", "cette"},
             "es": {"el", "la", "los", "las", "un", "una", "del", "al", "este", "esta"},
             "it": {"il", "lo", "la", "i", "gli", "le", "l'", "un", "una", "uno", "del", "della", "dello"},
             "pt": {"o", "a", "os", "as", "um", "uma", "do", "da", "no", "na"},
             "nl": {"de", "het", "een"}, "de": {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen"}}
_ELISION = re.compile(r"^(?:l|d|dell|all|nell|sull|dall|un)['’](?=\w)", re.IGNORECASE)


def extract_terms(sentences: list[Sentence], function_words: frozenset[str], generic: frozenset[str],
                  weak: frozenset[str], n_slides: int, *, capitals_mean_names: bool = True,
                  limit: int = 40, language: str = "en") -> list[Term]:
    """The lecture's key terms, best first (ties broken by first appearance, so the order is stable).

    Outside English, where no verb list exists, a term must follow an article at least once ("la chaîne
    respiratoire"), which keeps verbs ("produit") out.
    """
    lang = (language or "en").lower()[:2]
    links = frozenset(_LINKS.get(lang, {"of"}))
    articles = _ARTICLES.get(lang)
    after_article: Counter[tuple[str, ...]] = Counter()
    counts: Counter[tuple[str, ...]] = Counter()
    surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    slides_of: dict[tuple[str, ...], dict[int, int]] = defaultdict(dict)
    sents_of: dict[tuple[str, ...], list[int]] = defaultdict(list)
    defined: dict[tuple[str, ...], int] = {}
    capital: Counter[tuple[str, ...]] = Counter()
    first_seen: dict[tuple[str, ...], int] = {}
    subject: Counter[tuple[str, ...]] = Counter()
    modifier: Counter[tuple[str, ...]] = Counter()
    total_words = 0

    for s in sentences:
        total_words += s.n_words
        for run in _runs(s.text):
            toks = [m.group(0) for m in run]
            elided = [False] * len(toks)
            if lang != "en":
                for k, tok in enumerate(toks):
                    m = _ELISION.match(tok)
                    if m:  # "l'énergie" is "l'" + "énergie"
                        elided[k] = m.group(0)[0].lower() != "d"
                        toks[k] = tok[m.end():]
            for i in range(len(toks)):
                if not _plain(toks[i], function_words) or toks[i].lower() in generic:
                    continue  # "useful data structures", "chronic blood loss": the name starts after
                for n in range(1, MAX_TERM_WORDS + 1):
                    j = i + n
                    if j > len(toks) or (n > 1 and not _may_be_inside(toks[j - 1], function_words, links)):
                        break
                    if not _may_end(toks[j - 1], function_words, generic):
                        continue
                    words = toks[i:j]
                    if n == 1 and (words[0].lower() in BASE_VERBS or words[0].lower() in weak):
                        continue
                    if all(w.lower() in generic or w.lower() in weak or w.lower() in links for w in words):
                        continue  # "risk factors", "worst case": talk about a topic, not one
                    if n > 2 and words[1].lower() in links and (words[0].lower() in generic
                                                               or words[0].lower() in weak):
                        continue  # "cause of microcytic anemia" is about the anemia
                    if n > 1 and words[-1].lower() in BASE_VERBS and _plural(words[-2]):
                        continue  # "protons flow" is a clause; "blood flow" and "merge sort" are names
                    key = tuple(stem(w) for w in words if w.lower() not in links)
                    if articles is not None and (elided[i] or (i > 0 and toks[i - 1].lower() in articles)):
                        after_article[key] += 1
                    surface = " ".join(words)
                    counts[key] += 1
                    before = s.text[:run[i].start()].split()
                    at_start = not before or (len(before) == 1 and before[0] in {"\"", "“", "("})
                    if not at_start:
                        surfaces[key][surface] += 3  # prefer how it is written mid-sentence
                    surfaces[key][surface] += 1
                    slides_of[key][s.slide] = slides_of[key].get(s.slide, 0) + 1
                    if not sents_of[key] or sents_of[key][-1] != s.order:
                        sents_of[key].append(s.order)
                    first_seen.setdefault(key, s.order)
                    lead = [w.lower() for w in before if w.lower() not in SUBJECT_LEAD]
                    if not lead:
                        subject[key] += 1
                    if n == 1 and j < len(toks) and _may_be_inside(toks[j], function_words, links) \
                            and toks[j].lower() not in links:
                        modifier[key] += 1  # "beta" in "beta thalassemia", "hash" in "hash table"
                    if capitals_mean_names and not at_start and words[0][:1].isupper():
                        capital[key] += 1
                    if key not in defined and _defines(before, s.text[run[j - 1].end():], i):
                        defined[key] = s.order

    min_count = 2 if total_words > 250 else 1
    n_slides = max(1, n_slides)
    scored: dict[tuple[str, ...], float] = {}
    for key, c in counts.items():
        surface = surfaces[key].most_common(1)[0][0]
        acronym = any(_is_acronym(w) for w in surface.split())
        typed = bool(kinds_of(key) & {"disease", "drug", "enzyme"}) and len(key) > 1
        if c < min_count and key not in defined and not typed:
            continue
        if len(key) == 1 and len(key[0]) < 4 and not acronym:
            continue
        if articles is not None and not after_article[key] and not acronym:
            continue
        if len(key) == 1 and modifier[key] >= 0.5 * c:
            continue  # mostly a modifier of other words: "microcytic", "beta"
        df = len(slides_of[key])
        score = c * math.log(1.0 + n_slides / df)
        score *= 1.0 + 0.45 * (len(key) - 1)
        if key in defined:
            score *= 1.6
        if acronym:
            score *= 1.25
        elif capital[key] >= max(1, c // 2):
            score *= 1.2
        score *= 1.0 + 0.25 * min(3, subject[key])  # what sentences are about, not what they mention
        if len(key) > 1 and c == 1 and key not in defined and not capital[key]:
            score *= 0.6  # a phrase said once is as likely a chance collocation as a name
        scored[key] = score

    # A phrase inside a longer one that accounts for most of its uses is only part of a name.
    keys = sorted(scored, key=lambda k: (-len(k), first_seen[k], k))
    dropped: set[tuple[str, ...]] = set()
    for key in keys:
        for longer in keys:
            if len(longer) <= len(key) or longer in dropped:
                continue
            if _contains(longer, key) and counts[longer] >= 0.6 * counts[key]:
                dropped.add(key)
                scored[longer] = max(scored[longer], scored[key])
                if key in defined and longer not in defined:
                    defined[longer] = defined[key]
                break

    terms: list[Term] = []
    for key in sorted((k for k in scored if k not in dropped), key=lambda k: (-scored[k], first_seen[k], k)):
        surface = surfaces[key].most_common(1)[0][0]
        ordered = sorted(surfaces[key].items(), key=lambda kv: (-kv[1], kv[0]))
        surface = ordered[0][0]
        first = surface.split()[0]
        if not capital[key] and first[1:].islower() and first[:1].isupper() and surfaces[key][surface] < 3 * c:
            surface = first.lower() + surface[len(first):]  # seen only at sentence starts: "Iron deficiency"
        terms.append(Term(
            key=key, display=surface, count=counts[key], score=round(scored[key], 6),
            slides=sorted(slides_of[key]), sentences=sents_of[key], defined_in=defined.get(key),
            capitalised=capital[key] >= max(1, counts[key] // 2),
            acronym=any(_is_acronym(w) for w in surface.split()),
            variants={sv.lower() for sv in surfaces[key]}))
        if len(terms) >= limit:
            break
    heads: Counter[str] = Counter(k[-1] for k in counts if len(k) > 1)
    for t in terms:
        # A word that heads several phrases ("anemia" in "iron deficiency anemia", "macrocytic anemia"; "cells"
        # in "red cells", "bite cells") names a category the lecture sorts things into, not one topic.
        t.category = t.n_words == 1 and heads[t.head] >= 2
    return terms


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


_PATTERNS: dict[tuple, re.Pattern] = {}


def term_pattern(term: Term) -> re.Pattern:
    """A case-insensitive pattern for every written form of the term, longest first, plural-tolerant."""
    cache_key = (term.key, tuple(sorted(term.variants)))
    rx = _PATTERNS.get(cache_key)
    if rx is None:
        forms = sorted(term.variants | {term.display.lower()}, key=lambda v: (-len(v), v))
        alts = []
        for f in forms:
            parts = [re.escape(p) for p in f.split()]
            alts.append(r"\s+".join(parts) + r"(?:e?s)?")
        rx = re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)
        _PATTERNS[cache_key] = rx
    return rx


# ---- kinds of terms, so that a question's distractors are of the answer's kind -------------------------------

_DISEASE_ENDINGS = ("itis", "osis", "emia", "aemia", "oma", "pathy", "plasia", "trophy", "algia", "iasis", "uria",
                    "ectasis", "megaly", "penia", "cytosis", "philia", "rrhea", "rrhoea", "sclerosis")
_NOT_DISEASE = {"mitosis", "meiosis", "osmosis", "apoptosis", "symbiosis", "homeostasis", "diagnosis",
                "prognosis", "hypnosis", "metamorphosis", "chromosome", "genome", "ribosome", "stoma", "aroma",
                "diploma", "coma", "soma", "trophy", "sympathy", "empathy", "telepathy", "lysosome", "kinesis"}
_DISEASE_WORDS = {"disease", "syndrome", "disorder", "deficiency", "failure", "infection", "cancer", "carcinoma",
                  "sarcoma", "tumor", "tumour", "anemia", "anaemia", "diabetes", "stroke", "infarction",
                  "insufficiency", "stenosis", "hypertension", "hypotension", "fever", "palsy", "dystrophy",
                  "fibrosis", "edema", "oedema", "ulcer", "hernia", "asthma", "pneumonia", "sepsis", "shock",
                  "angina", "arrhythmia", "fibrillation", "thrombosis", "embolism", "aneurysm", "dementia",
                  "psychosis", "lupus", "gout", "leukemia", "leukaemia", "lymphoma", "melanoma", "hepatitis",
                  "cirrhosis", "colitis", "tuberculosis", "malaria", "measles", "influenza", "covid", "thalassemia",
                  "thalassaemia", "hemophilia", "haemophilia", "obesity", "atherosclerosis", "regurgitation",
                  "prolapse", "effusion", "abscess", "poisoning", "toxicity", "overdose", "allergy", "autism",
                  "schizophrenia", "depression", "migraine", "epilepsy", "seizure", "neuropathy", "injury"}
_DRUG_ENDINGS = ("mab", "nib", "pril", "sartan", "olol", "statin", "cillin", "mycin", "floxacin", "azole", "vir",
                 "dipine", "prazole", "tidine", "parin", "xaban", "gliptin", "gliflozin", "formin", "afil",
                 "triptan", "oxetine", "azepam", "zolam", "olone", "caine", "profen", "cycline", "micin",
                 "urea", "trexate", "quine", "amine", "idine", "barbital", "thiazide", "semide", "sone")
_DRUG_WORDS = {"insulin", "aspirin", "heparin", "warfarin", "morphine", "supplementation", "transfusion", "chelation",
               "vaccine", "antibiotic", "steroid", "inhibitor", "blocker", "agonist", "antagonist", "therapy",
               "surgery", "hydroxyurea", "methotrexate"}
_ENZYME_EXCLUDE = {"database", "release", "increase", "decrease", "phase", "purchase", "disease", "base",
                   "case", "lease", "erase", "phrase", "please", "cease", "chase", "showcase", "suitcase",
                   "staircase", "uppercase", "lowercase", "testcase", "crease", "codebase", "briefcase"}
_PROCESS_WORDS = {"cycle", "pathway", "process", "chain", "transport", "reaction", "respiration", "synthesis",
                  "signaling", "signalling", "replication", "transcription", "translation", "phosphorylation",
                  "glycolysis", "fermentation", "metabolism", "circulation", "filtration", "diffusion",
                  "secretion", "absorption", "excretion", "regulation", "algorithm", "search", "sort", "probing",
                  "hashing", "chaining", "addressing", "recursion", "iteration", "traversal", "scheduling"}


def kinds_of(key: tuple[str, ...]) -> set[str]:
    """What sort of thing a term (by its stems) names: disease, drug, enzyme, process (or nothing known)."""
    out: set[str] = set()
    head = key[-1]
    words = set(key)
    if (head in _DISEASE_WORDS or words & {"disease", "syndrome", "deficiency", "disorder"}
            or (head.endswith(_DISEASE_ENDINGS) and head not in _NOT_DISEASE and len(head) > 5)
            or (head.startswith(("hyper", "hypo")) and head.endswith("ism"))):
        out.add("disease")
    if head.endswith(_DRUG_ENDINGS) and len(head) > 6 or head in _DRUG_WORDS:
        out.add("drug")
    if head.endswith("ase") and len(head) > 5 and head not in _ENZYME_EXCLUDE:
        out.add("enzyme")
    if head in _PROCESS_WORDS or head.endswith(("lysis", "genesis", "poiesis")):
        out.add("process")
    return out


_SYNONYM = re.compile(r",?\s*(?:also called|also known as|otherwise known as|aka|or simply)\s+", re.I)


def synonyms(sentences: list[Sentence], terms: list[Term]) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """Terms the lecture names as one thing ("the Krebs cycle, also called the citric acid cycle")."""
    out: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for s in sentences:
        m = _SYNONYM.search(s.text)
        if not m:
            continue
        tail = s.text[:m.start()][-60:]
        after = re.sub(r"^(?:the|a|an)\s+", "", s.text[m.end():].strip(), flags=re.I)[:50]
        left = sorted((t for t in terms if term_pattern(t).search(tail)),
                      key=lambda t: (-max(x.end() for x in term_pattern(t).finditer(tail)), -len(t.key)))
        right = sorted((t for t in terms if term_pattern(t).search(after)),
                       key=lambda t: (term_pattern(t).search(after).start(), -len(t.key)))
        for x in left[:1]:
            for y in right[:1]:
                if x.key != y.key:
                    out.setdefault(x.key, set()).add(y.key)
                    out.setdefault(y.key, set()).add(x.key)
    return out


def bold_terms(text: str, terms: list[Term], others: list[Term]) -> str:
    """Wrap each mention of the terms in **…**, skipping mentions inside a longer term ("ATP" in "ATP synthase")."""
    spans: list[tuple[int, int]] = []
    for t in terms:
        longer = [o for o in others if len(o.key) > len(t.key) and set(t.key) <= set(o.key)]
        blocked = [(m.start(), m.end()) for o in longer for m in term_pattern(o).finditer(text)]
        for m in term_pattern(t).finditer(text):
            if any(b0 <= m.start() < b1 for b0, b1 in blocked) or any(s0 < m.end() and m.start() < s1
                                                                     for s0, s1 in spans):
                continue
            spans.append((m.start(), m.end()))
    for start, end in sorted(spans, reverse=True):
        text = f"{text[:start]}**{text[start:end]}**{text[end:]}"
    return text
