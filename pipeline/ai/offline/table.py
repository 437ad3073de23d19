"""The study table: one row per key term, each cell filled with the lecture's own sentences about it.

Each column is read for what it asks ("Treatment" wants sentences about therapy, "Slides" wants slide numbers,
"Key facts" wants the defining sentence); a sentence belongs to a row when it names the row's term, or follows a
sentence on the same slide that did ("Treatment is oral iron." after "Iron deficiency anemia is ..."). A cell
with nothing that fits stays empty: the table never says what the lecture did not.
"""

from __future__ import annotations

import re

from ...errors import AIError
from ..schemas import StudyRow, StudyTable
from .analysis import Analysis
from .rank import META, tidy_point
from .terms import SUBJECT_LEAD, Term, bold_terms, term_pattern
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
_LEAD_ROLE = {
    "treatment": re.compile(r"^(?:the )?(?:main |classic )?(?:treatment|management|therapy) (?:is|are|includes?)\b",
                            re.I),
    "diagnosis": re.compile(r"^(?:the )?diagnosis is\b", re.I),
    "etiology": re.compile(r"^(?:the )?(?:main )?(?:risk factors|causes?) (?:are|is|include)\b", re.I),
    "presentation": re.compile(r"^patients (?:\w+ ){0,5}present with\b", re.I),
    "buzzwords": re.compile(r"^buzzwords?\b", re.I),
}
_LEAD_INS = [
    re.compile(r"^(?:the )?(?:main |classic )?(?:treatment|management|therapy) (?:is|are|includes?)\s+"
               r"(?:with\s+|to\s+)?", re.I),
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


def owned_sentences(a: Analysis, rows: list[Term]) -> dict[int, list[int]]:
    """For each row, the sentences naming it, plus those that continue about the slide's current subject.

    The subject is the last row a sentence on this slide began with ("Iron deficiency anemia is ..."); a row
    named only in passing ("... or colon cancer") owns that sentence but does not take over the ones after it.
    """
    owned: dict[int, list[int]] = {i: [] for i in range(len(rows))}
    patterns = [term_pattern(t) for t in rows]
    last_slide = None
    topic: list[int] = []
    for s in a.sentences:
        if s.slide != last_slide:
            last_slide, topic = s.slide, []
        named = [i for i, rx in enumerate(patterns) if rx.search(s.text)]
        subjects = [i for i in named if starts_with(s.text, rows[i])]
        if subjects:
            topic = subjects
        for i in sorted(set(named) | set(topic if not subjects else [])):
            owned[i].append(s.order)
    return owned


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


def choose_topics(a: Analysis, columns: list[str]) -> list[Term]:
    """Candidate rows, best first: terms that are not mere categories or parts of a better term; under a first
    column like "Disease" or "Drug", terms of that kind when the lecture has at least two."""
    kind = next((k for rx, k in _ROW_KIND if rx.search(columns[0])), None)
    pool = [t for t in a.terms if not t.category] or list(a.terms)
    if kind:
        typed = [t for t in pool if kind in t.kinds]
        if len(typed) >= 2:
            pool = typed
    chosen: list[Term] = []
    for t in pool:
        keys = set(t.key)
        clash = False
        for c in chosen:
            inner, outer = (t, c) if keys <= set(c.key) else (c, t) if set(c.key) <= keys else (None, None)
            # "iron" under "iron deficiency anemia" is part of that row; "ATP" beside "ATP synthase" is its own.
            if inner is not None and not ((inner.acronym or inner.defined_in is not None)
                                          and inner.count >= 2 * outer.count):
                clash = True
                break
        if any(o.key in a.synonyms.get(t.key, set()) for o in chosen):
            continue  # "citric acid cycle" is the "Krebs cycle" row
        if not clash:
            chosen.append(t)
        if len(chosen) >= 2 * MAX_ROWS:
            break
    return chosen


def _fit(role: str, text: str, cue: re.Pattern | None, term: Term) -> float:
    """How strongly a sentence answers a column's role: a lead-in ("Treatment is ...") decides it."""
    if cue is None:
        return 0.0
    lead = _LEAD_ROLE.get(role)
    if lead is not None and lead.match(text):
        return 10.0
    score = float(len(cue.findall(text)))
    if role == "etiology":
        m = term_pattern(term).search(text)
        c = re.search(r"\bcauses?\b", text, re.I)
        if m and c and c.start() < m.start():
            score += 2  # "Oxidant stress causes hemolysis in G6PD deficiency": a cause of the row's disease
    return score


def _row(a: Analysis, term: Term, mine: list[int], columns: list[str], roles: list[str],
         customs: dict[int, re.Pattern | None]) -> tuple[list[str], list[int], int]:
    """One row's cells, the slides they draw on, and how many content cells are filled."""
    cues = {role: rx for role, _, rx in _ROLES}
    cells = [""] * len(columns)
    usable = [i for i in mine if not META.search(a.sentences[i].text) and not a.sentences[i].text.endswith("?")]
    used: set[int] = set()
    used_slides: list[int] = []

    def fill(col: int, picks: list[int], strip: bool = False) -> None:
        picks = sorted(picks[:MAX_CELL_SENTENCES])
        texts = [tidy_point(a.sentences[i].text) for i in picks]
        if strip:
            texts = [_strip_lead_in(t) for t in texts]
        cells[col] = bold_terms(" ".join(texts), [term], a.terms)
        used.update(picks)
        used_slides.extend(a.sentences[i].slide for i in picks)

    def ranked(ids) -> list[int]:
        return sorted(ids, key=lambda i: (-a.scores[i], i))

    # Each sentence goes to the one specific column it fits best; the general "facts" column comes last.
    specific = [c for c, r in enumerate(roles) if r not in {"name", "slides", "definition"}]
    best_col: dict[int, int] = {}
    for i in usable:
        fits = []
        for c in specific:
            pattern = customs.get(c) if roles[c] == "custom" else cues.get(roles[c])
            if roles[c] == "custom":
                f = float(len(pattern.findall(a.sentences[i].text))) if pattern is not None else 0.0
            else:
                f = _fit(roles[c], a.sentences[i].text, pattern, term)
            if f > 0:
                fits.append((-f, c))
        if fits:
            best_col[i] = min(fits)[1]
    for c in specific:
        picks = ranked(i for i, col in best_col.items() if col == c)
        if picks:
            fill(c, picks, strip=roles[c] != "custom")
    for c, role in enumerate(roles):
        if role != "definition":
            continue
        left = [i for i in usable if i not in used]
        subject = [i for i in left if starts_with(a.sentences[i].text, term)]
        defining = [i for i in left if i == term.defined_in or (
            _DEFINITIONAL.search(a.sentences[i].text) and i in subject)]
        first = (defining or ranked(subject) or ranked(left))[:1]
        picks = first + [i for i in ranked(left) if i not in first]
        if picks:
            fill(c, picks)
    content = sum(1 for c, r in enumerate(roles) if r not in {"name", "slides"} and cells[c])
    slides = sorted(set(used_slides)) or list(term.slides)
    if len(slides) > MAX_ROW_SLIDES:
        counts = {s: used_slides.count(s) + term.slides.count(s) for s in slides}
        slides = sorted(sorted(slides, key=lambda s: (-counts[s], s))[:MAX_ROW_SLIDES])
    for c, role in enumerate(roles):
        if role == "name":
            cells[c] = f"**{term.label()}**"
        elif role == "slides":
            cells[c] = ", ".join(str(n) for n in a.slide_numbers(set(term.slides) | set(slides)))
    return cells, a.slide_numbers(slides), content


def starts_with(text: str, term: Term) -> bool:
    """True when the sentence is about the term: it names it first ("A hash table stores ...")."""
    m = term_pattern(term).search(text)
    return m is not None and all(w.lower().strip(",") in SUBJECT_LEAD for w in text[:m.start()].split())


_ROW_KINDS = [(re.compile(r"\b(?:diseases?|disorders?|conditions?|syndromes?|diagnos[ie]s)\b", re.I), "disease"),
              (re.compile(r"\b(?:drugs?|medications?|medicines?|agents?)\b", re.I), "drug")]


def _row_kind(first_column: str) -> str | None:
    """The kind of term the first column asks for ("Disease" wants diseases), or None for any topic."""
    return next((kind for rx, kind in _ROW_KINDS if rx.search(first_column)), None)


def cannot_fill(columns: list[str], why: str) -> AIError:
    """The honest answer when the lecture's own sentences cannot fill these columns: say so, do not guess."""
    return AIError("study_table", f"the offline engine cannot fill the columns {' | '.join(columns)} from this "
                   f"lecture's own sentences ({why}); set OPENAI_API_KEY so a model can, or use a profile with "
                   "general columns (e.g. --profile default)", retryable=False)


_NOT_A_TOPIC = re.compile(r"^(?:summary|outline|agenda|overview|contents|questions?|recap|references?|thank you|"
                          r"thanks|learning (?:objectives|outcomes)|objectives|introduction|intro|conclusions?)\W*$",
                          re.I)


_QUESTION_TITLE = re.compile(r"^(?:what|who) (?:is|are) (?:an? |the )?(?P<t>.+?)\s*\?$", re.I)


def _topic_of(title: str) -> str:
    """A slide title as a row's name: "What is an enzyme?" names "Enzyme"."""
    m = _QUESTION_TITLE.match(title)
    return (m.group("t")[:1].upper() + m.group("t")[1:]) if m else title


def slide_topics(a: Analysis) -> list[tuple[str, list[int]]]:
    """The topics the slides' own titles (OCR) name, in order, each with the passages shown under it.

    A title shown again is one topic; a title slide, an agenda or a summary is not a topic."""
    by_title: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    for k, slide in enumerate(a.lecture.slides):
        title = _topic_of(" ".join(slide.slide_title.split()).strip(" :.-"))
        if not title or (k == 0 and slide.repeat_of is None) or _NOT_A_TOPIC.match(title) or len(title) > 80:
            continue
        key = title.casefold()
        shown.setdefault(key, title)
        by_title.setdefault(key, []).append(slide.index)
    return [(shown[key], indexes) for key, indexes in by_title.items()]


def _glossary(a: Analysis, columns: list[str], roles: list[str]) -> list[StudyRow]:
    """Rows named by the slides' own titles (OCR), each with the slide's defining sentences: a glossary."""
    facts = next((c for c, r in enumerate(roles) if r == "definition"), 1 if len(columns) > 1 else None)
    rows: list[StudyRow] = []
    for name, indexes in slide_topics(a):
        said = [s for i in indexes for s in a.slide_sentences(i)
                if not s.forced and not META.search(s.text) and not s.text.endswith("?")]
        if not said:
            continue
        defining = [s for s in said if _DEFINITIONAL.search(s.text)]
        best = sorted(said, key=lambda s: (-a.scores[s.order], s.order))
        picks = sorted({s.order: s for s in (defining + best)[:MAX_CELL_SENTENCES]}.values(), key=lambda s: s.order)
        cells = [""] * len(columns)
        cells[0] = f"**{name}**"
        if facts is not None:
            cells[facts] = " ".join(tidy_point(s.text) for s in picks)
        for c, role in enumerate(roles):
            if role == "slides":
                cells[c] = ", ".join(str(n) for n in a.slide_numbers(indexes))
        rows.append(StudyRow(cells=cells, slides=a.slide_numbers(indexes)))
    return rows


def _without_empty_columns(columns: list[str], rows: list[StudyRow]) -> StudyTable:
    """The table without the columns no row fills (a glossary needs no "Common pitfalls" that is always empty)."""
    filled = [c for c in range(len(columns)) if c == 0 or any(r.cells[c].strip() for r in rows)]
    return StudyTable(columns=[columns[c] for c in filled],
                      rows=[StudyRow(cells=[r.cells[c] for c in filled], slides=r.slides) for r in rows])


def study_table(a: Analysis) -> StudyTable:
    """The StudyTable answer for the lecture's requested columns (or the default ones).

    With slide titles read (OCR) and general columns, a glossary of the slides' titles and their defining
    sentences; otherwise one row per key term."""
    columns = [c for c in (a.lecture.study_columns or []) if c.strip()] or list(DEFAULT_COLUMNS)
    if not a.has_text:
        return StudyTable(columns=columns, rows=[])
    kind = _row_kind(columns[0])
    if kind is None:
        glossary = _glossary(a, columns, [column_role(c, i) for i, c in enumerate(columns)])
        if len(glossary) >= MIN_ROWS:
            return _without_empty_columns(columns, glossary)
    roles = [column_role(c, i) for i, c in enumerate(columns)]
    customs = {i: _custom_pattern(c, a) for i, (c, r) in enumerate(zip(columns, roles)) if r == "custom"}
    candidates = choose_topics(a, columns)
    if kind is not None:
        candidates = [t for t in candidates if kind in t.kinds]
        if not candidates:
            raise cannot_fill(columns, f"it names no {kind} to make a row of")
    owned = owned_sentences(a, candidates)
    limit = max(MIN_ROWS, min(MAX_ROWS, len(a.sentences) // 3))
    built = []
    for r, term in enumerate(candidates):
        if owned[r]:
            cells, slides, content = _row(a, term, owned[r], columns, roles, customs)
            built.append((content, term.sentences[0], StudyRow(cells=cells, slides=slides)))
    n_content_columns = sum(1 for r in roles if r not in {"name", "slides"})
    rich = sum(1 for b in built if b[0] >= 2)
    if n_content_columns >= 3 and rich >= MIN_ROWS:
        built = [b for b in built if b[0] >= 2]   # enough well-filled rows: drop the thin ones
    elif any(b[0] for b in built):
        built = [b for b in built if b[0] >= 1]
    if not any(b[0] for b in built):
        raise cannot_fill(columns, "no sentence fits any column after the first")
    # The best-ranked rows make the table; they are shown in the order the lecture presents them.
    kept = built[:limit]
    return _without_empty_columns(columns, [b[2] for b in sorted(kept, key=lambda b: b[1])])
