"""Words and sentences: the small language toolkit every offline task stands on.

Everything here is deterministic and Unicode-aware, so accented and non-Latin letters count as letters.
Stopwords exist for a few common lecture languages; elsewhere term weights (IDF) do the work alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD = re.compile(r"[^\W_](?:[\w'’]*[^\W_])?(?:-[^\W_]+)*", re.UNICODE)

_EN_STOP = """
a about above after again against all almost also although always am among an and another any anybody anyone
anything are aren't around as at back be became because become been before being below between both but by can
can't cannot could couldn't did didn't do does doesn't doing don't done down during each either else enough even
ever every everybody everyone everything few first for from further get gets getting go goes going gone good got
gotta had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
however i i'd i'll i'm i've if in into is isn't it it's its itself just kind last least less let let's like likely
lot lots made make makes making many may maybe me might mine more most mostly much must my myself need needs
neither never next no nobody none nor not nothing now of off often oh ok okay on once one ones only onto or other
others otherwise our ours ourselves out over own per perhaps please pretty quite rather really right said same say
says second see seen shall she she'd she'll she's should shouldn't since so some somebody someone something
sometimes somewhat sort still such sure take takes than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've thing things think this those though through thus to together
too toward towards under until up upon us use used uses using very via want wants was wasn't way ways we we'd we'll
we're we've well were weren't what what's whatever when where where's whether which while who who's whole whom
whose why will with within without won't would wouldn't yeah yes yet you you'd you'll you're you've your yours
yourself yourselves um uh er erm ah hmm mm alright gonna wanna actually basically literally anyway anyways
across along behind beyond besides inside outside near despite unlike whereas throughout onto among amongst
zero two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion half
third quarter twice
"""

# Words a lecturer says about the lecture itself, or verbs and vague nouns that never make a study topic.
_EN_GENERIC = """
lecture lectures slide slides today class course week weeks exam exams question questions answer answers example
examples bit stuff guys everybody people chapter section topic topics minute
minutes hour hours day days year years start beginning idea ideas term terms word
words name names sense kinds sorts lots fact facts reason reasons problem
problems thing talk talking talked look looking looked looks know knows knowing known knew think thinks thought mean
means meant call calls called calling happen happens happened tell tells told come comes came coming give gives
gave given giving show shows showed shown showing try tries tried trying remember remembers remembered find finds
found say saying went put puts keep keeps kept turn turns turned seem seems seemed work works worked working
going able important basic different various certain particular specific general main simple new old big small
large little great high low okay today's next last important really way also need needed needing want wanted
let lets see sees saw seeing get got getting go goes gone make made making take took taken taking use used using
uses called include includes included including mention mentioned ask asked gonna following follow follows
couple whole quick quickly today tomorrow yesterday again already still maybe probably obviously clearly
notice noticed let's here's there's that's it's we're you're they're i'm okay cool nice right wrong true false
homework assignment assignments quiz reading textbook book page pages board screen video recording
treatment treatments diagnosis patient patients symptom symptoms sign signs risk risks cause causes useful good bad
nice interesting easy hard difficult huge tiny entire various several overall typical usual famous similar real
actual common major minor typical drug drugs medication medications severe mild moderate chronic acute poor
older younger regular
management comparison average worst best rest topic summary overview introduction
""".split()

_OTHER_STOP = {
    "de": "der die das den dem des ein eine einer eines einem einen und oder aber ist sind war waren wird werden "
          "hat haben nicht auch mit von zu zum zur im in an auf für bei aus als wie so dass wenn dann noch nur "
          "sehr schon es er sie wir ihr ich du man sich was wer wo hier da also ja nein ähm äh halt eben mal",
    "fr": "le la les un une des du de et ou mais est sont était être avoir a ont ne pas plus avec pour par dans "
          "sur au aux ce cette ces il elle ils elles nous vous je tu on qui que quoi où donc alors aussi très "
          "bien euh ben voilà comme si se sa son ses leur leurs y en",
    "es": "el la los las un una unos unas y o pero es son era ser estar está están no con para por en de del "
          "al que qué como muy también lo le les se su sus este esta estos estas ese esa yo tú él ella nosotros "
          "vosotros ellos ellas pues bueno eh este entonces o sea",
    "it": "il lo la i gli le un uno una e o ma è sono era essere avere ha hanno non con per in di da del della "
          "dei delle al alla che come molto anche si suo sua questo questa quello quella io tu lui lei noi voi "
          "loro ehm allora quindi cioè",
    "pt": "o a os as um uma uns umas e ou mas é são era ser estar está não com para por em de do da dos das no "
          "na nos nas que como muito também se seu sua este esta isso isto eu tu ele ela nós vós eles elas né "
          "então tipo",
    "nl": "de het een en of maar is zijn was waren wordt worden heeft hebben niet ook met van te in aan op voor "
          "bij uit als zo dat dit die wanneer dan nog alleen heel al het hij zij wij jullie ik jij men zich wat "
          "wie waar hier daar dus ja nee eh uhm",
}

# Nouns that name a topic only with a qualifier: "constant time", "point mutation", "load factor", "base case".
_EN_WEAK = """
time times point points number numbers level levels case cases type types rate rates factor factors order side
sides value values end ends part parts form forms kind step steps amount amounts area areas
"""

EN_STOPWORDS = frozenset(_EN_STOP.split())
WEAK = frozenset(_EN_WEAK.split())
GENERIC = frozenset(_EN_GENERIC)


def function_words(language: str) -> frozenset[str]:
    """Words that never start, end or make up a term, for a language code like 'en' or 'de-AT'."""
    lang = (language or "en").lower()[:2]
    # English function words show up in code-switched lectures everywhere, so they always count.
    return EN_STOPWORDS | frozenset(_OTHER_STOP.get(lang, "").split())


def generic_words(language: str) -> frozenset[str]:
    """Words about the lecture itself ("slide", "example") that may lead a phrase but never end or be one."""
    return GENERIC if (language or "en").lower()[:2] == "en" else frozenset()


def weak_words(language: str) -> frozenset[str]:
    """Nouns that may end a term but never be one alone ("time" in "constant time")."""
    return WEAK if (language or "en").lower()[:2] == "en" else frozenset()


def stopwords(language: str) -> frozenset[str]:
    """Words that carry no topic at all when comparing sentences: function words and lecture talk."""
    return function_words(language) | generic_words(language)


def words(text: str) -> list[str]:
    """The words of a text, in order, as written."""
    return WORD.findall(text)


def stem(word: str) -> str:
    """A light, stable key for a word: lower case, simple English plurals folded (cells/cell, arteries/artery)."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith(("sses", "ches", "shes", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ous", "sis", "ics")):
        return w[:-1]
    return w


_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "dr.", "mr.", "mrs.", "ms.", "prof.", "fig.", "approx.", "cf.",
                  "al.", "no.", "st.", "inc.", "ca.", "mg.", "resp.", "u.s.")
# Speech recognisers write lower case, so a sentence may start with any letter; abbreviations are checked apart.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[^\W_]|[\"“‘(\[]?\d)", re.UNICODE)


def split_sentences(text: str) -> list[str]:
    """Sentences of a punctuated text; abbreviations (e.g., Dr.) and decimals do not end a sentence."""
    text = " ".join(text.split())
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        piece = text[start:m.start()].rstrip()
        last = piece.rsplit(" ", 1)[-1].lower()
        if last in _ABBREVIATIONS or re.fullmatch(r"(?:[^\W\d_]\.){1,3}", last):
            continue  # "e.g. The" or an initial like "J. Smith"
        if piece:
            out.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


@dataclass(frozen=True)
class Sentence:
    """One sentence of the cleaned lecture, where it came from, and its word keys."""

    slide: int          # the showing's index (0-based), as in SlideInput.index
    order: int          # position in the whole lecture
    pos: int            # position within its slide
    text: str
    keys: tuple[str, ...]      # stems of content words
    forced: bool = False       # cut from unpunctuated speech, not a real sentence end

    @property
    def n_words(self) -> int:
        return len(words(self.text))


def content_keys(text: str, stops: frozenset[str]) -> tuple[str, ...]:
    """Stems of the words that carry meaning (no stopwords, no single letters, no bare numbers)."""
    out = []
    for w in words(text):
        lw = w.lower()
        if lw in stops or len(w) < 2 or lw.isdigit():
            continue
        out.append(stem(lw))
    return tuple(out)


def capitalise_first(text: str) -> str:
    """Upper-case the first letter, leaving the rest (acronyms, names) as written."""
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1:]
        if ch.isdigit():
            return text
    return text


def finish_sentence(text: str) -> str:
    """Capitalised, single-spaced, and ending with terminal punctuation."""
    text = " ".join(text.split()).strip(" ,;:-–—")
    if not text:
        return ""
    text = capitalise_first(text)
    if text[-1] not in ".!?…\"”)":
        text += "."
    return text
