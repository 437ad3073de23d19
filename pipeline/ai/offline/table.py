"""The study table: one row per key term, each cell filled with the lecture's own sentences about it.

Each column is read for what it asks ("Treatment" wants sentences about therapy, "Slides" wants slide numbers,
"Key facts" wants the defining sentence); a sentence belongs to a row when it names the row's term, or follows a
sentence on the same slide that did ("Treatment is oral iron." after "Iron deficiency anemia is ..."). A cell
with nothing that fits stays empty: the table never says what the lecture did not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..schemas import StudyRow, StudyTable
from .analysis import Analysis
from .terms import Term, term_pattern
from .text import finish_sentence, stem, words

DEFAULT_COLUMNS = ["Concept", "Key facts", "Slides"]
MAX_ROWS = 15
MIN_ROWS = 3
MAX_CELL_SENTENCES = 2
MAX_ROW_SLIDES = 4

# role → (what the column name says, what a fitting sentence says)
_ROLES: list[tuple[str, re.Pattern, re.Pattern | None]] = [
    ("slides", re.compile(r"\b(?:slides?|pages?|refs?|references?|where)\b", re.I), None),
    ("etiology", re.compile(r"(?:etiolog|aetiolog|\bcause|risk|origin|predispos)", re.I),
     re.compile(r"\b(?:caused by|due to|risk factors?|associated with|results? from|mutations?|inherited|genetic|"
                r"autosomal|x-linked|exposure|smoking|alcohol\w*|infection|intake|because of|common in|"
                r"more common|triggers?|cause is|autoimmune)\b", re.I)),
    ("pathophysiology", re.compile(r"(?:patho|mechanism|how it works|process|physiolog)", re.I),
     re.compile(r"\b(?:leads? to|results? in|mechanism|impair\w*|destruction|damage\w*|inflamm\w*|deposit\w*|"
                r"accumulat\w*|dysfunction|polymeri\w*|imbalance|block\w*|inhibit\w*|activat\w*|binds?|"
                r"ineffective|sickle|oxidi\w*|gradient|drives?|pumps?|converts?|because)\b", re.I)),
    ("presentation", re.compile(r"(?:present|symptom|sign|clinical|feature|manifest)", re.I),
     re.compile(r"\b(?:present\w* with|symptoms?|signs?|complain\w*|pain\w*|fever|fatigue|pallor|weakness|rash|"
                r"shortness of breath|dyspnea|jaundice|swelling|bleeding|cris[ie]s|facies|neurolog\w*|"
                r"glossitis|pica|infancy)\b", re.I)),
    ("diagnosis", re.compile(r"(?:diagnos|\btests?\b|work-?up|investigat|\blabs?\b|finding|imaging)", re.I),
     re.compile(r"\b(?:diagnos\w*|tests?|testing|biopsy|imaging|x-ray|ct|mri|ultrasound|labs?|serum|smear|"
                r"electrophoresis|culture|ecg|ekg|screen\w*|confirm\w*|ferritin|elevated|shows)\b", re.I)),
    ("treatment", re.compile(r"(?:treat|therap|\bdrugs?\b|manag|medicat|intervention|\bcure)", re.I),
     re.compile(r"\b(?:treat\w*|therap\w*|drugs?|medications?|manage\w*|surgery|surgical|first-line|given|"
                r"prescri\w*|antibiotics?|supplement\w*|transfusion|chelation|avoid|dose|vaccin\w*|cure)\b",
                re.I)),
    ("buzzwords", re.compile(r"(?:buzz|high.?yield|pearl|mnemonic|remember|\btips?\b|keywords?|key words?)", re.I),
     re.compile(r"\b(?:classic|hallmark|pathognomonic|characteristic|high-yield|buzzwords?|remember|always|"
                r"never|most common|mnemonic|think of|bodies|cells on)\b", re.I)),
    ("example", re.compile(r"(?:example|instance|application|use case)", re.I),
     re.compile(r"\b(?:for example|for instance|such as|e\.g\.|including|examples?)\b", re.I)),
    ("definition", re.compile(r"(?:defin|fact|summary|descri|what|meaning|overview|explan|notes?|detail|about|"
                              r"concept|key points?|main points?)", re.I), None),
]
_SYNONYMS = {
    "function": r"function\w*|role|responsible|allows?|used (?:to|for)|job|purpose",
    "location": r"located|found in|site|inside|within|takes place|happens in",
    "complexity": r"complexity|constant|linear|logarithmic|quadratic|o\(|time|memory|space",
    "advantage": r"advantages?|benefits?|better|faster|cheaper|simpler|efficient",
    "disadvantage": r"disadvantages?|drawbacks?|worse|slower|limitations?|costs?|problems?|worst",
    "structure": r"consists? of|composed of|made of|contains?|has|structure",
    "regulation": r"regulat\w*|control\w*|inhibit\w*|activat\w*|feedback",
    "formula": r"=|equals|formula|equation|divided by|times|multiplied|ratio",
    "product": r"produces?|makes?|yields?|generates?|output",
}
_DEFINITIONAL = re.compile(r"\b(?:is an?|are an?|is the|are the|refers to|is defined as|is called|are called|"
                           r"known as|means|consists of|is composed of|is made of)\b", re.I)
_LEAD_INS = [
    re.compile(r"^(?:the )?(?:main |classic )?(?:treatment|management|therapy) (?:is|are|includes?)\s+(?:with\s+)?",
               re.I),
    re.compile(r"^(?:the )?diagnosis is (?:made )?(?:by|with|on)\s+", re.I),
    re.compile(r"^(?:the )?(?:main )?risk factors (?:are|include)\s+", re.I),
    re.compile(r"^patients present with\s+", re.I),
    re.compile(r"^buzzwords?:?\s+", re.I),
]
_ROW_KIND = [(re.compile(r"disease|condition|disorder|patholog|syndrome", re.I), "disease"),
             (re.compile(r"\bdrugs?\b|medication|agent|pharmac", re.I), "drug"),
             (re.compile(r"enzyme", re.I), "enzyme")]


def column_role(name: str, position: int) -> str:
    """What a column asks for: 'name' (the first), a known role, or 'custom:<words>'."""
    if position == 0:
        return "name"
    for role, rx, _ in _ROLES:
        if rx.search(name):
            return role
    return "custom"


@dataclass
class _Row:
    term: Term
    sentences: list[int]       # sentence orders this row owns, in order


def _owned_sentences(a: Analysis, rows: list[Term]) -> dict[int, list[int]]:
    """For each row, the sentences naming it plus those that follow such a sentence on the same slide."""
    owned: dict[int, list[int]] = {i: [] for i in range(len(rows))}
    patterns = [term_pattern(t) for t in rows]
    last_slide = None
    recent: list[int] = []
    for s in a.sentences:
        if s.slide != last_slide:
            last_slide, recent = s.slide, []
        named = [i for i, rx in enumerate(patterns) if rx.search(s.text)]
        if named:
            recent = named
        for i in (named or recent):
            owned[i].append(s.order)
    return owned


def _bold(text: str, terms: list[Term]) -> str:
    """Wrap each mention of the terms in **…**, never inside an existing bold run."""
    for t in terms:
        parts = re.split(r"(\*\*[^*]+\*\*)", text)
        text = "".join(p if p.startswith("**") else term_pattern(t).sub(lambda m: f"**{m.group(0)}**", p)
                       for p in parts)
    return text


def _strip_lead_in(sentence: str) -> str:
    for rx in _LEAD_INS:
        stripped = rx.sub("", sentence, count=1)
        if stripped != sentence and len(stripped.split()) >= 2:
            return finish_sentence(stripped)
    return sentence


def _custom_pattern(column: str, a: Analysis) -> re.Pattern | None:
    alts = []
    for w in words(column.lower()):
        if w in a.stops or len(w) < 3:
            continue
        for key, rx in _SYNONYMS.items():
            if stem(w).startswith(key[:5]) or key.startswith(stem(w)[:5]):
                alts.append(rx)
        alts.append(re.escape(stem(w)) + r"\w*")
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")", re.I) if alts else None


def _choose_rows(a: Analysis, columns: list[str]) -> list[Term]:
    kind = next((k for rx, k in _ROW_KIND if rx.search(columns[0])), None)
    pool = [t for t in a.terms if not t.category] or list(a.terms)
    if kind:
        typed = [t for t in pool if kind in t.kinds]
        if typed:
            pool = typed
    limit = max(MIN_ROWS, min(MAX_ROWS, len(a.sentences) // 2))
    chosen: list[Term] = []
    for t in pool:
        keys = set(t.key)
        if any(keys <= set(c.key) or set(c.key) <= keys for c in chosen):
            continue  # "iron" under "iron deficiency anemia"
        chosen.append(t)
        if len(chosen) >= limit * 2:
            break
    return chosen


def study_table(a: Analysis) -> StudyTable:
    """The StudyTable answer for the lecture's requested columns (or the default ones)."""
    columns = [c for c in (a.lecture.study_columns or []) if c.strip()] or list(DEFAULT_COLUMNS)
    if not a.has_text:
        return StudyTable(columns=columns, rows=[])
    roles = [column_role(c, i) for i, c in enumerate(columns)]
    customs = {i: _custom_pattern(c, a) for i, (c, r) in enumerate(zip(columns, roles)) if r == "custom"}
    cues = {role: rx for role, _, rx in _ROLES}
    candidates = _choose_rows(a, columns)
    owned = _owned_sentences(a, candidates)
    limit = max(MIN_ROWS, min(MAX_ROWS, len(a.sentences) // 2))
    built: list[tuple[int, StudyRow]] = []
    for r, term in enumerate(candidates):
        mine = owned[r]
        if not mine:
            continue
        cells = [""] * len(columns)
        used: set[int] = set()
        used_slides: list[int] = []

        def fill(col: int, picks: list[int], strip: bool = False) -> None:
            picks = sorted(picks[:MAX_CELL_SENTENCES])
            texts = [a.sentences[i].text for i in picks]
            if strip:
                texts = [_strip_lead_in(t) for t in texts]
            cells[col] = _bold(" ".join(finish_sentence(t) for t in texts), [term])
            used.update(picks)
            used_slides.extend(a.sentences[i].slide for i in picks)

        def best(pattern: re.Pattern | None) -> list[int]:
            fits = [i for i in mine if i not in used and (pattern is None or pattern.search(a.sentences[i].text))]
            return sorted(fits, key=lambda i: (-a.scores[i], i))

        # Specific roles first, so the general "facts" column does not take their sentences.
        order = sorted(range(len(columns)), key=lambda c: (roles[c] in {"definition", "name", "slides"}, c))
        for c in order:
            role = roles[c]
            if role in {"name", "slides"}:
                continue
            if role == "definition":
                defining = [i for i in mine if i not in used and (
                    i == term.defined_in or (_DEFINITIONAL.search(a.sentences[i].text)
                                             and term_pattern(term).search(a.sentences[i].text)))]
                picks = defining[:1] + [i for i in best(None) if i not in defining[:1]]
                fill(c, picks)
            elif role == "custom":
                if customs.get(c) is not None and best(customs[c]):
                    fill(c, best(customs[c]))
            elif cues.get(role) is not None and best(cues[role]):
                fill(c, best(cues[role]), strip=True)
        content = [c for c, role in enumerate(roles) if role not in {"name", "slides"} and cells[c]]
        has_content_columns = any(role not in {"name", "slides"} for role in roles)
        if has_content_columns and not content:
            continue
        slides = sorted(set(used_slides)) or list(term.slides)
        if len(slides) > MAX_ROW_SLIDES:
            counts = {s: used_slides.count(s) + term.slides.count(s) for s in slides}
            slides = sorted(sorted(slides, key=lambda s: (-counts[s], s))[:MAX_ROW_SLIDES])
        for c, role in enumerate(roles):
            if role == "name":
                cells[c] = f"**{term.label()}**"
            elif role == "slides":
                cells[c] = ", ".join(str(i + 1) for i in sorted(set(term.slides) | set(slides)))
        built.append((len(content), term.sentences[0], StudyRow(cells=cells, slides=slides)))
    # The best-filled rows make the table; they are shown in the order the lecture presents them.
    ranked = sorted(range(len(built)), key=lambda i: (-min(built[i][0], 2), i))[:limit]
    rows = [built[i][2] for i in sorted(ranked, key=lambda i: (built[i][1], i))]
    return StudyTable(columns=columns, rows=rows)
