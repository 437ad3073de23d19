"""A lecture's title from what the lecturer announces, its key terms and the file-name hint.

Lecturers usually say what the lecture is about near the start ("today we'll talk about X and Y"); that phrase,
when it names key terms, is the best title. Otherwise the two strongest, widely spread terms make one. A hint
that names a subject ("Cell biology week 3") leads the title; a hint that is only a file name is dropped.
"""

from __future__ import annotations

import re

from .analysis import Analysis
from .terms import Term
from .text import EN_STOPWORDS, GENERIC, stem, words

MAX_TITLE_WORDS = 12
MAX_TITLE_CHARS = 100
_AND = {"en": "and", "de": "und", "fr": "et", "es": "y", "it": "e", "pt": "e", "nl": "en", "sv": "och",
        "da": "og", "no": "og", "pl": "i", "cs": "a"}
_SMALL = {"a", "an", "the", "and", "or", "nor", "but", "of", "in", "on", "at", "to", "for", "by", "with", "vs",
          "via", "from", "as", "per", "into"}

_ANNOUNCE = [
    re.compile(r"\b(?:talk(?:ing)?|learn(?:ing)?|look(?:ing)?|focus(?:ing)?|discuss(?:ing)?|cover(?:ing)?|"
               r"start(?:ing)?|introduc(?:e|ing)|continu(?:e|ing)|review(?:ing)?|mov(?:e|ing) on)\s+"
               r"(?:about|at|on|with|to)?\s*(?P<t>[^,.;:!?]+)", re.IGNORECASE),
    re.compile(r"\b(?:topic|subject|focus|theme)\s+(?:for today\s+|of (?:today's|this) lecture\s+|today\s+)?"
               r"(?:is|will be)\s+(?P<t>[^,.;:!?]+)", re.IGNORECASE),
    re.compile(r"\b(?:lecture|class|session|talk|week)\s+is\s+(?:all\s+)?(?:about|on)\s+(?P<t>[^,.;:!?]+)",
               re.IGNORECASE),
    re.compile(r"\bintroduction to\s+(?P<t>[^,.;:!?]+)", re.IGNORECASE),
]
_ANNOUNCE_CONTEXT = re.compile(r"\b(?:today|this (?:lecture|week|morning|afternoon|session|class)|we're going to|"
                               r"we are going to|we will|we'll|topic|introduction)\b", re.IGNORECASE)
_SPAN_STOP = {"is", "are", "was", "which", "that", "where", "because", "so", "how", "why", "when", "today", "now",
              "first", "then", "but", "we", "you", "i", "they", "it", "this", "for", "in", "this", "these",
              "before", "after", "if", "as", "um", "uh", "like"}
_LEADING = {"the", "a", "an", "some", "our", "about", "at", "on", "with", "to", "more", "basically", "really"}
_ANNOUNCE_SLIDES = 3
MAX_ANNOUNCED_WORDS = 7

# ---- the file-name hint ---------------------------------------------------------------------------------------

_EXT = re.compile(r"\.(?:mp4|m4v|mov|mkv|webm|avi|wmv|flv|mp3|m4a|wav|m3u8|ts|vtt|srt|pdf)$", re.IGNORECASE)
_NOISE = re.compile(
    r"\b(?:\d{4}[-_. ]?\d{2}[-_. ]?\d{2}(?:[t_ -]?\d{2}[-_.:h]?\d{2}(?:[-_.:]?\d{2})?)?|"
    r"\d{1,2}[-_./]\d{1,2}[-_./]\d{2,4}|"
    r"\d{1,2}[:h]\d{2}(?::\d{2})?|gmt\d*|utc|zoom\d*|recording\d*|rec|video|final|copy|draft|v\d+|\d{3,4}p|hd|"
    r"untitled|new|screen ?capture|capture|meeting|panopto|echo360|kaltura|default)\b", re.IGNORECASE)
_NUMBERED = re.compile(r"\b(week|wk|lecture|lec|part|session|unit|module|class|day|chapter|ch|topic|block)"
                       r"\s*[-#.]?\s*(\d{1,3}[a-z]?)\b", re.IGNORECASE)
_COURSE_CODE = re.compile(r"\b[A-Z]{2,5}[ -]?\d{2,4}[A-Z]?\b")
_NUMBER_WORDS = {"wk": "Week", "lec": "Lecture", "ch": "Chapter"}
_UNINFORMATIVE = {"lecture", "lectures", "class", "session", "talk", "recording", "video", "slides", "notes",
                  "course", "module", "part", "unit", "week", "day", "lesson", "seminar", "webinar", "meeting"}


def parse_hint(hint: str) -> tuple[str, str]:
    """A hint split into (subject words, numbered part like "Week 3"); either may be empty."""
    text = _EXT.sub("", (hint or "").strip())
    if " " not in text:
        text = re.sub(r"[-_.+]+", " ", text)  # a file name: separators were spaces
    else:
        text = re.sub(r"[_+]+", " ", text)
    text = _COURSE_CODE.sub(" ", text)
    numbered = ""
    m = _NUMBERED.search(text)
    if m:
        word = _NUMBER_WORDS.get(m.group(1).lower(), m.group(1).capitalize())
        numbered = f"{word} {m.group(2).upper() if m.group(2)[-1:].isalpha() else m.group(2)}"
        text = text[:m.start()] + " " + text[m.end():]
    text = _NOISE.sub(" ", text)
    text = re.sub(r"\b\d+x\d+\b|\b(?=\w*\d)(?=\w*[a-z])\w{6,}\b", " ", text, flags=re.I)  # 1920x1080, GMT2024
    text = re.sub(r"\b\d+\b", " ", text)
    text = re.sub(r"[()\[\]{}#]", " ", text)
    subject = " ".join(text.split()).strip(" -–—:,;")
    meaningful = [w for w in words(subject) if len(w) >= 3 and w.lower() not in EN_STOPWORDS
                  and w.lower() not in _UNINFORMATIVE]
    return (subject if meaningful else ""), numbered


# ---- casing ---------------------------------------------------------------------------------------------------------

def title_case(text: str, language: str) -> str:
    """English title case that keeps acronyms and names (ATP, mRNA, B12); other languages: first letter only."""
    if (language or "en").lower()[:2] != "en":
        return text[:1].upper() + text[1:]
    out = []
    for i, w in enumerate(text.split()):
        if any(c.isupper() for c in w[1:]) or any(c.isdigit() for c in w):
            out.append(w)
        elif i > 0 and w.lower() in _SMALL:
            out.append(w.lower())
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


# ---- what the lecture is about ---------------------------------------------------------------------------------

def announced_topic(a: Analysis) -> str:
    """The phrase the lecturer uses to announce the topic in the opening slides, if it names a key term."""
    if a.language[:2] != "en":
        return ""
    term_stems = {k for t in a.terms[:25] for k in t.key}
    opening = [i for i in (s.index for s in a.lecture.slides) if a.cleaned.get(i)][:_ANNOUNCE_SLIDES]
    for s in a.sentences:
        if s.slide not in opening or not _ANNOUNCE_CONTEXT.search(s.text):
            continue
        for rx in _ANNOUNCE:
            m = rx.search(s.text)
            if not m:
                continue
            span: list[str] = []
            for w in m.group("t").split():
                lw = w.lower().strip("'’")
                if lw in _SPAN_STOP or len(span) >= MAX_ANNOUNCED_WORDS:
                    break
                if lw in {"the", "a", "an"} and span and span[-1].lower() not in {"of", "and", "or", "to", "in"}:
                    break  # "the heart the heart is": a new phrase starts
                span.append(w)
            while span and span[0].lower() in _LEADING:
                span.pop(0)
            while span and (span[-1].lower() in EN_STOPWORDS or span[-1].lower() in GENERIC):
                span.pop()
            if span and sum(stem(w) in term_stems for w in span) >= max(1, len(span) // 3):
                return " ".join(span)
    return ""


def topic_terms(a: Analysis, k: int = 2) -> list[Term]:
    """Up to k strong, non-overlapping terms that run through the lecture, in order of first mention."""
    n = max(1, sum(1 for v in a.cleaned.values() if v))

    def weight(t: Term) -> float:
        spread = len(t.slides) / n
        return t.score * (0.6 + spread) * (1.3 if t.category else 1.0)

    ranked = sorted(a.terms[:25], key=lambda t: (-weight(t), t.sentences[0]))
    chosen: list[Term] = []
    for t in ranked:
        if len(chosen) >= k:
            break
        if chosen and weight(t) < 0.35 * weight(chosen[0]):
            break
        if any(set(t.key) & set(c.key) for c in chosen):
            continue
        chosen.append(t)
    return sorted(chosen, key=lambda t: t.sentences[0])


def _join(parts: list[str], language: str) -> str:
    conj = _AND.get((language or "en").lower()[:2], "&")
    return f" {conj} ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + f" {conj} " + parts[-1]


def make_title(a: Analysis) -> str:
    """The lecture's title: subject from the hint, topic from the announcement or the key terms."""
    lang = a.language
    subject, numbered = parse_hint(a.lecture.title_hint)
    topic = announced_topic(a)
    terms = [] if topic else topic_terms(a)
    subject_stems = {stem(w) for w in words(subject)}
    if not topic and terms:
        kept = [t for t in terms if not set(t.key) <= subject_stems]
        topic = _join([t.display for t in kept], lang) if kept else ""
    if topic and subject_stems and {stem(w) for w in words(topic)} <= subject_stems:
        topic = ""  # the hint already says it
    head = subject + (f", {numbered}" if subject and numbered else "")
    if head and topic:
        candidates = [f"{head}: {topic}", f"{subject}: {topic}", topic]
    elif head:
        candidates = [head]
    elif topic:
        candidates = [topic]
    else:
        candidates = [f"{numbered} Lecture" if numbered else "Lecture"]
    for c in candidates:
        if len(c.split()) <= MAX_TITLE_WORDS and len(c) <= MAX_TITLE_CHARS:
            return title_case(c, lang)
    return title_case(" ".join(candidates[-1].split()[:MAX_TITLE_WORDS])[:MAX_TITLE_CHARS], lang)
