"""Tidy spoken captions into readable prose without changing what was said.

Each rule removes only what is noise in speech (fillers, stutters, restarts, sound tags, remarks about the room)
or fixes form (spacing, punctuation, capitals, a few unambiguous recognition slips). Words that might carry
meaning stay: "like", "you know" and "sort of" go only where their context shows they are fillers.
Abbreviations, acronyms, units, numbers, Greek letters and maths keep the case and form they were written in.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ...captions.case import capitalise_sentence
from .text import split_sentences

# ---- sound tags and speaker marks --------------------------------------------------------------------------

_TAGS = re.compile(r"\[[^\]]{0,40}\]|\((?:laughs?|laughter|applause|music|inaudible|crosstalk|silence|coughs?|"
                   r"noise|background noise|pause|unintelligible)\)|♪+|>>+|<unk>", re.IGNORECASE)
_SPEAKER = re.compile(r"(?:^|(?<=[.!?]\s))(?:speaker|professor|lecturer|student|instructor)\s*\d*\s*:\s*",
                      re.IGNORECASE)

# ---- fillers ---------------------------------------------------------------------------------------------------

_HESITATION = {
    "en": r"u+m+|u+h+m*|e+r+m*|a+h+|h+m+|m+h*m+|mhm",
    "de": r"ä+h+m*|ö+h+m*|h+m+|e+h+m+",
    "fr": r"e+u+h+|h+m+|b+e+n+",
    "es": r"e+h+m*|m+h*m+",
    "it": r"e+h+m*|m+h*m+",
    "pt": r"e+h+m*|h+m+|a+h+m+",
    "nl": r"u+h+m*|e+h+m*|h+m+",
}

_CLAUSE_WORDS = {"we", "i", "they", "he", "she", "there", "so", "and", "but", "like", "it's", "that's",
                 "basically", "um", "uh", "you", "this", "these", "now", "if"}
_YOU_KNOW_KEEP_BEFORE = {"do", "did", "don't", "didn't", "if", "what", "as", "will", "would", "could", "should",
                         "can", "to", "may", "might", "let", "you", "all", "now", "already", "probably", "may"}
_YOU_KNOW_KEEP_AFTER = {"that", "what", "how", "why", "where", "when", "who", "whether", "which", "about", "it",
                        "this", "these", "those", "him", "her", "them", "the", "a", "an", "your", "our", "my"}
_LIKE_BEFORE = {"is", "was", "are", "were", "it's", "that's", "be", "and", "but", "so", "just", "they're",
                "we're", "you're"}
_INTENSIFIERS = {"really", "totally", "super", "very", "literally", "so", "basically", "just", "actually",
                 "kind", "sort", "completely", "extremely", "pretty", "um", "uh"}
_HEDGE_BEFORE = {"is", "are", "was", "were", "it's", "that's", "just", "they're", "we're", "really", "you're"}
_HEDGE_AFTER = {"like", "just", "really", "basically", "um", "uh", "sort", "kind"}
_OKAY_KEEP_BEFORE = {"is", "that's", "it's", "be", "are", "was", "were", "it", "seems", "looks", "feel", "feels",
                     "am", "not", "that", "fine", "all", "you're", "i'm", "we're", "they're", "be", "totally"}


def _context_sub(pattern: re.Pattern, text: str, is_filler: Callable[[str, str, bool, bool], bool],
                 keep_upper: bool = False) -> str:
    """Drop each match whose neighbours (previous word, next word, commas around it) show it is a filler."""
    def repl(m: re.Match) -> str:
        core = m.group(0).strip(" ,")
        if keep_upper and len(core) > 1 and core.isupper():
            return m.group(0)  # "ER", "UM": an abbreviation, not a hesitation
        before = text[:m.start()]
        after = text[m.end():]
        prev = re.findall(r"[\w'’]+|[.!?]", before[-40:])
        nxt = re.findall(r"[\w'’]+|[.!?,;:]", after[:40])
        prev_word = prev[-1].lower() if prev else ""
        next_word = nxt[0].lower() if nxt else ""
        comma_before = bool(m.group("cb"))
        comma_after = bool(m.group("ca"))
        if not is_filler(prev_word, next_word, comma_before, comma_after):
            return m.group(0)
        # Between two clauses a comma stays ("it's fast, it uses"); inside one it goes ("oxygen for the chain").
        keep_comma = (comma_before and comma_after and prev_word not in _CONJUNCTIONS
                      and next_word in _CLAUSE_START)
        return ", " if keep_comma else " "
    return pattern.sub(repl, text)


_CONJUNCTIONS = {"", ".", "!", "?", "and", "but", "so", "or", "because", "since", "if", "when", "that", "which"}
_CLAUSE_START = {"it", "we", "they", "i", "he", "she", "there", "this", "that", "which", "and", "but", "so", "you",
                 "these", "those", "then", "if", "because", "when"}


def _phrase(words: str) -> re.Pattern:
    return re.compile(rf"(?P<cb>,\s*)?(?<![\w'’-])(?:{words})(?![\w'’-])(?P<ca>\s*,)?", re.IGNORECASE)


_P_HESITATION = {lang: _phrase(rx) for lang, rx in _HESITATION.items()}
_P_YOU_KNOW = _phrase(r"you know")
_P_I_MEAN = _phrase(r"i mean")
_P_LIKE = _phrase(r"like")
_P_HEDGE = _phrase(r"sort of|kind of|kinda|sorta")
_P_OKAY = _phrase(r"okay|ok|alright|all right")


def _starts_clause(prev: str) -> bool:
    return prev in {"", ".", "!", "?", "so", "and", "but", "now", "right", "um", "uh", "well"}


def remove_fillers(text: str, language: str) -> str:
    """Drop hesitations everywhere and English filler phrases where their context shows they are fillers."""
    lang = (language or "en").lower()[:2]
    text = _context_sub(_P_HESITATION.get(lang, _P_HESITATION["en"]), text, lambda p, n, cb, ca: True,
                        keep_upper=True)
    if lang != "en":
        return text
    text = _context_sub(_P_YOU_KNOW, text, lambda p, n, cb, ca: (
        p in {"is", "are", "was", "were", "which", "um", "uh", "like", "because"}
        or (p not in _YOU_KNOW_KEEP_BEFORE and (cb or ca or n in _CLAUSE_WORDS or n in {"", ".", "?", "!", ","})
            and n not in _YOU_KNOW_KEEP_AFTER)))
    text = _context_sub(_P_I_MEAN, text, lambda p, n, cb, ca: (
        (cb and ca) or (p not in {"what", "which", "that", "if", "do", "don't", "i", "you"}
                        and n not in {"it", "that", "this"}
                        and (ca or (cb and _starts_clause(p)) or n in {"like", "um", "uh", "you"}))))
    text = _context_sub(_P_LIKE, text, lambda p, n, cb, ca: (
        # ", like," after a noun often means "such as" ("blood loss, like, menstruation"), so it stays.
        (p in _LIKE_BEFORE and (n in _INTENSIFIERS or (cb and ca))) or (ca and _starts_clause(p))))
    text = _context_sub(_P_HEDGE, text, lambda p, n, cb, ca: (
        (cb and ca) or (p in _HEDGE_BEFORE and (ca or n in _HEDGE_AFTER))))
    text = _context_sub(_P_OKAY, text, lambda p, n, cb, ca: (
        p not in _OKAY_KEEP_BEFORE and n not in {"", ".", "?", "!", "with", "to", "for", "if", "then"}
        and _starts_clause(p)))
    return text


# ---- stutters and restarts ------------------------------------------------------------------------------------

_STUTTER = re.compile(r"(?<![\w-])([^\W\d_]{1,12})-\s+(?=(?i:\1)[^\W\d_]*)", re.UNICODE)
_REPEAT = re.compile(r"(?<![\w'’-])((?:[\w'’]+\s+){0,3}[\w'’]+)(?:\s*,?\s+\1)+(?![\w'’-])", re.IGNORECASE)
# Doubled words that are often grammatical ("what it is is", "had had") or deliberate emphasis.
_KEEP_DOUBLED = {"that", "had", "is", "very", "really", "so", "many", "much", "far", "bye", "no", "ha", "knock",
                 "yes", "more", "hip", "tut", "chop", "well"}


def remove_restarts(text: str, single_words: bool = False) -> str:
    """Collapse stutters ("c- cell") and immediate repetitions ("the the", "in the in the").

    With single_words, only one-word repeats go: after fillers are removed, a repeated phrase may be a new
    sentence of unpunctuated speech ("look at the heart um the heart is") rather than a restart.
    """
    text = _STUTTER.sub("", text)

    def repl(m: re.Match) -> str:
        phrase = m.group(1)
        if " " not in phrase.strip() and phrase.lower() in _KEEP_DOUBLED:
            return m.group(0)
        if single_words and " " in phrase.strip():
            return m.group(0)
        if phrase.isdigit():
            return m.group(0)  # "2 2" may be a number read out digit by digit
        return phrase
    for _ in range(3):  # "we we we" and nested restarts need more than one pass
        new = _REPEAT.sub(repl, text)
        if new == text:
            break
        text = new
    return text


# ---- recognition slips ------------------------------------------------------------------------------------------

_SLIPS = [
    # "i" alone is "I"; the i of "i.i.d." or "i.e." is not.
    (re.compile(r"(?<![\w'’.])i(?=(?:'|’)(?:m|ve|ll|d)\b|\s|[,!?;:]|\.(?!\w)|$)"), "I"),
    (re.compile(r"\bgonna\b"), "going to"),
    (re.compile(r"\bwanna\b"), "want to"),
    (re.compile(r"\bkinda\b"), "kind of"),
    (re.compile(r"\bsorta\b"), "sort of"),
    (re.compile(r"\balot\b"), "a lot"),
    (re.compile(r"\b(could|should|would|must|might) of\b"), r"\1 have"),
    (re.compile(r"\b(do|does|did|is|are|was|were|should|would|could|has|have|had)nt\b"), r"\1n't"),
    (re.compile(r"\b(that|there|what|where|here)s\b"), r"\1's"),
    (re.compile(r"\b(you|they|we)re\b(?=\s+(?:a|an|the|going|not|in|on|all|just|really)\b)"), r"\1're"),
    (re.compile(r"\b(you|they|we)ve\b"), r"\1've"),
    (re.compile(r"(\d)\s+%"), r"\1%"),
    (re.compile(r"(?<=\d)\s+(?:per ?cent|percent)\b"), "%"),
]


def fix_slips(text: str, language: str) -> str:
    """Fix recognition slips that have a single reading ("i" → "I", "dont" → "don't", "could of")."""
    if (language or "en").lower()[:2] != "en":
        return text
    for rx, repl in _SLIPS:
        text = rx.sub(repl, text)
    return text


# ---- sentence boundaries for unpunctuated speech ------------------------------------------------------------

_CUES = {"so", "now", "okay", "ok", "alright", "today", "next", "remember", "first", "finally", "also"}
_CUE_FOLLOW = {"we", "i", "the", "this", "that", "these", "those", "if", "when", "what", "let's", "you", "it",
               "there", "here", "in", "for", "remember", "a", "an", "our", "my", "your", "let", "once", "after",
               "before", "first", "finally", "why", "how", "one", "another", "each", "every", "most", "all",
               "some", "many", "during", "at", "with"}
MIN_SEGMENT_WORDS = 6


def looks_unpunctuated(text: str) -> bool:
    """True for long speech with (almost) no sentence ends, as speech recognisers write it."""
    n_words = len(text.split())
    return n_words >= 20 and len(re.findall(r"[.!?](?:\s|$)", text)) * 30 < n_words


def segment(text: str) -> str:
    """Put sentence ends before discourse cues ("so we", "now the") in speech that has none."""
    tokens = text.split()
    out: list[str] = []
    current = 0
    for i, tok in enumerate(tokens):
        low = tok.lower().strip(",")
        nxt = tokens[i + 1].lower().strip(",") if i + 1 < len(tokens) else ""
        if low in _CUES and nxt in _CUE_FOLLOW and current >= MIN_SEGMENT_WORDS:
            if out and out[-1].lower() in {"and", "but"}:  # "... and so the" starts with "And so the"
                joiner = out.pop()
                out[-1] = out[-1].rstrip(",") + "."
                out.append(joiner)
                current = 1
            else:
                out[-1] = out[-1].rstrip(",") + "."
                current = 0
        out.append(tok)
        current += 1
    return " ".join(out)


# ---- remarks about the room -------------------------------------------------------------------------------------

_ROOM = re.compile(
    r"\bcan (?:you|everyone|everybody|y'all) (?:hear|see) (?:me|this|that|the screen|my screen|it)\b"
    r"|\b(?:is|are) (?:this|the|my) (?:mic|microphone|mike)s? (?:on|working)\b"
    r"|\blet me (?:just )?(?:find|get|grab|open|share|fix) (?:my|the) (?:mouse|pointer|cursor|slides?|screen|"
    r"notes|laptop|clicker)\b"
    r"|\b(?:next|previous) slide(?: please)?$"
    r"|\b(?:hold on|one second|one sec|bear with me)\b"
    r"|^(?:okay|ok|alright|all right|right|so|well|um|uh|yeah|cool|good|great|anyway)$",
    re.IGNORECASE)
MAX_ROOM_REMARK_WORDS = 10


def _is_room_remark(sentence: str) -> bool:
    core = sentence.strip(" .!?,")
    return len(core.split()) <= MAX_ROOM_REMARK_WORDS and bool(_ROOM.search(core))


# ---- punctuation and capitals ------------------------------------------------------------------------------------

def tidy_punctuation(text: str) -> str:
    """Single spaces, no space before punctuation, one space after it, no doubled or stranded marks."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?])(?=[^\W\d_])", r"\1 ", text)  # "word .next" is a misplaced end, not "x.y"
    text = re.sub(r"\s+([,.;:!?…])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"[,;:]+(?=[.!?])", "", text)
    text = re.sub(r"([.!?])(?:\s*[.,;:])+(?!\.)", r"\1", text)
    text = re.sub(r"([,;:!?])(?=[^\W\d_])", r"\1 ", text)
    text = re.sub(r"(?<=[a-z\u00e0-\u024f]{2})\.(?=[A-Z][a-z])", ". ", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    return text.strip(" ,;:")


def _capitalise(sentence: str) -> str:
    sentence = sentence.strip(" ,;:")
    if not sentence:
        return ""
    sentence = capitalise_sentence(sentence)   # "i.i.d.", "α", "mRNA" and "x = 3" keep their case
    if sentence[-1] not in ".!?…\"”)":
        sentence += "."
    return sentence


def clean_text(raw: str, language: str = "en") -> str:
    """One slide's captions as tidy prose: fillers, stutters, restarts and sound tags gone; meaning kept."""
    text = " ".join((raw or "").split())
    if not text:
        return ""
    text = _TAGS.sub(" ", text)
    text = _SPEAKER.sub("", text)
    text = fix_slips(text, language)
    text = remove_restarts(text)
    text = remove_fillers(text, language)
    text = remove_restarts(text, single_words=True)  # "the um the cell" is a restart once "um" is gone
    text = tidy_punctuation(text)
    english = (language or "en").lower()[:2] == "en"
    if english and looks_unpunctuated(text):
        text = segment(text)
    sentences = []
    for s in split_sentences(text):
        if english and _is_room_remark(s):
            continue
        s = _capitalise(tidy_punctuation(s))
        if re.search(r"[^\W_]", s):
            sentences.append(s)
    return " ".join(sentences)
