"""AI cost benchmark: tokens and estimated USD per lecture-hour with the default models, first run and cached re-run.

    python -m benchmarks.ai_cost [--minutes 60] [--models gpt-4o-mini,gpt-4.1-mini,gpt-5-mini]

No network is reachable here, so the real AIService, OpenAIEngine (the official SDK), database cache and cost
ledger (SQLite in a temporary folder) talk to the fake OpenAI server of tests/fakes on 127.0.0.1. The fake answers
every task with the offline engine's schema-valid answer for the same request and reports token usage estimated
from the text (4 characters a token), with cached prompt tokens worked out as OpenAI's automatic prompt cache
would: an identical prefix of at least 1,024 tokens, counted in 128-token steps. The structured-output schema
leads that prefix (OpenAI documents it as "a prefix to the system message"), so six tasks with six schemas share
little; the anchor's assumption (the transcript shared by every task) is printed beside it for comparison.
The lecture is built deterministically from sentences about membrane transport at 140 words a minute.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from sqlalchemy import case, func, select

from pipeline.ai.cache import NullCache
from pipeline.ai.engine import Prompt
from pipeline.ai.ledger import price_of
from pipeline.ai.messages import render_transcript, transcript_text
from pipeline.ai.offline import OfflineEngine
from pipeline.ai.openai_engine import OpenAIEngine
from pipeline.ai.schemas import LectureInput, SlideInput
from pipeline.ai.service import AIService
from handouts.schema import upgrade
from pipeline.ai.wire import from_answer
from pipeline.db import make_engine, make_sessionmaker
from pipeline.errors import ConfigError, HandoutsError, InputError
from pipeline.models import AIRequest, Job
from pipeline.settings import load_settings
from pipeline.stages.study import TASK_ORDER
from tests.fakes.openai_server import ChatReply, FakeOpenAI

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4.1-mini", "gpt-5-mini")
WORDS_PER_MINUTE = 140
SLIDES_PER_HOUR = 50
MAX_MINUTES = 600

# ---- the lecture -------------------------------------------------------------------------------------------------
# One section per topic of an introductory physiology lecture on membrane transport; slides walk through them in
# order. Sentences are written for this benchmark; the facts are textbook physiology.

SECTIONS: tuple[tuple[str, ...], ...] = (
    (   # the membrane
        "Every cell is wrapped in a plasma membrane about five nanometres thick, and almost everything we talk "
        "about today happens across that thin layer.",
        "The membrane is a phospholipid bilayer: the phosphate heads face the water on each side and the fatty "
        "acid tails face each other in the middle.",
        "That oily core is the reason the membrane is a barrier, because charged and polar molecules do not "
        "dissolve well in it.",
        "Cholesterol sits between the phospholipids and keeps the membrane fluid in the cold and less leaky in "
        "the heat.",
        "Membrane proteins make up roughly half of the membrane's mass, and they are the doors, pumps and sensors "
        "of the cell.",
        "Integral proteins span the bilayer, while peripheral proteins sit on one face and are held there by "
        "weaker interactions.",
        "The fluid mosaic model says that lipids and many proteins drift sideways within the plane of the "
        "membrane.",
        "Small nonpolar molecules such as oxygen, carbon dioxide and steroid hormones slip straight through the "
        "lipid bilayer.",
        "Ions like sodium, potassium and chloride cannot cross the bilayer on their own, however steep their "
        "gradient is.",
        "Large polar molecules such as glucose also need a protein to carry them across.",
        "So the central question today is which route a given substance takes, and whether the cell has to pay "
        "energy for it.",
        "Inside the cell potassium is high, around one hundred and forty millimolar, while sodium is low, around "
        "ten to fifteen millimolar.",
        "Outside the cell it is the other way round, with sodium around one hundred and forty five millimolar and "
        "potassium only about four.",
    ),
    (   # simple diffusion
        "Diffusion is the net movement of molecules from higher to lower concentration, driven only by their "
        "random thermal motion.",
        "No energy from the cell is needed, because the gradient itself is the source of free energy.",
        "Fick's law says the rate of diffusion equals the permeability times the area times the concentration "
        "difference.",
        "Permeability in turn depends on how soluble the molecule is in lipid, how big it is, and how thick the "
        "membrane is.",
        "Double the surface area and you double the flux, which is why the lung has hundreds of millions of "
        "alveoli.",
        "Double the thickness of the barrier and you halve the flux, which is what happens in pulmonary fibrosis.",
        "The oil to water partition coefficient is a good predictor of how fast a small molecule crosses the "
        "bilayer.",
        "Diffusion is fast over short distances and hopelessly slow over long ones, because the time grows with "
        "the square of the distance.",
        "A molecule can cross a cell in milliseconds, but it would take years to diffuse from your heart to your "
        "toes.",
        "That is why large animals need a circulation to bring substances close enough for diffusion to finish "
        "the job.",
        "At equilibrium molecules still move in both directions, but the net flux is zero.",
        "Notice that Fick's law is linear: simple diffusion has no maximum rate, unlike transport on carriers.",
    ),
    (   # osmosis and tonicity
        "Osmosis is the diffusion of water across a membrane that lets water through but holds the solute back.",
        "Water moves from the side with fewer dissolved particles to the side with more dissolved particles.",
        "Many cells have aquaporins, water channels that let water cross far faster than through the lipid alone.",
        "Osmotic pressure is the pressure that would stop water from moving, and it depends on the number of "
        "particles, not their kind.",
        "Van 't Hoff's law puts it as the number of particles times the gas constant times the temperature times "
        "the concentration.",
        "One mole of sodium chloride gives about two osmoles, because each unit dissociates into a sodium and a "
        "chloride ion.",
        "Normal plasma osmolality is about two hundred and ninety milliosmoles per kilogram of water.",
        "Tonicity is not the same as osmolality, because it counts only the solutes that cannot cross the "
        "membrane.",
        "Put a red blood cell in a hypotonic solution and water rushes in until the cell swells and may burst.",
        "Put the same cell in a hypertonic solution and water leaves, so the cell shrinks and crenates.",
        "Urea raises osmolality but does not change cell volume for long, because it crosses the membrane and "
        "equilibrates.",
        "Saline at zero point nine percent is used for infusions precisely because it leaves red cell volume "
        "alone.",
        "The reflection coefficient runs from zero for a solute that crosses freely to one for a solute the "
        "membrane holds back completely.",
    ),
    (   # facilitated diffusion
        "Facilitated diffusion still runs downhill, along the gradient, but it needs a membrane protein to "
        "provide the route.",
        "Channels form a water-filled pore and can pass millions of ions per second while they are open.",
        "A potassium channel lets potassium through but rejects the smaller sodium ion, because of how its "
        "selectivity filter strips away water.",
        "Channels are gated, which means they open and close in response to voltage, a ligand or mechanical "
        "stretch.",
        "Carriers bind their substrate on one side, change shape, and release it on the other side.",
        "Because a carrier has to change shape for every molecule it moves, it is much slower than a channel.",
        "Carrier transport saturates, so the rate levels off at a maximum when every carrier is busy.",
        "The Km is the concentration at which the rate is half of its maximum, and it tells you the carrier's "
        "affinity.",
        "Carriers are specific: the GLUT transporters carry D-glucose but not its mirror image L-glucose.",
        "Carriers also show competition, so a similar molecule can slow the transport of the natural substrate.",
        "GLUT4 is the insulin-sensitive glucose transporter of muscle and fat, and insulin moves it from vesicles "
        "inside the cell to the surface.",
        "In type 2 diabetes that insulin signal is blunted, so less GLUT4 reaches the surface and glucose uptake "
        "into muscle falls.",
    ),
    (   # primary active transport
        "Active transport moves a substance against its electrochemical gradient, so it needs energy.",
        "In primary active transport the energy comes directly from splitting ATP.",
        "The sodium potassium ATPase pumps three sodium ions out and two potassium ions in for every ATP it "
        "splits.",
        "Because it moves three positive charges out and only two in, the pump is electrogenic.",
        "The pump can use a quarter or more of a resting cell's ATP, and in neurons even more.",
        "Its job is to maintain the sodium and potassium gradients that so many other processes depend on.",
        "Cardiac glycosides such as digoxin and ouabain block the pump from the outside, where potassium "
        "normally binds.",
        "Other primary pumps include the plasma membrane calcium ATPase, the SERCA pump of the sarcoplasmic "
        "reticulum, and the proton potassium ATPase of the stomach.",
        "Proton pump inhibitors such as omeprazole treat acid reflux by blocking that gastric proton pump.",
        "The pump cycles between a shape open to the inside, with high affinity for sodium, and a shape open to "
        "the outside, with high affinity for potassium.",
        "Phosphorylation flips it from the inward shape to the outward shape, and dephosphorylation flips it "
        "back.",
        "If you poison the pump, the gradients run down over minutes to hours and the cell swells.",
    ),
    (   # secondary active transport
        "Secondary active transport uses the energy stored in the sodium gradient rather than ATP directly.",
        "The sodium gradient was built by the sodium potassium pump, so ATP still pays for it, indirectly.",
        "In a symporter, or cotransporter, sodium and the other substance move in the same direction.",
        "SGLT1 in the small intestine brings in two sodium ions with each glucose, so the cell can pile up "
        "glucose against its gradient.",
        "The glucose then leaves the other side of the intestinal cell by facilitated diffusion through GLUT2.",
        "Oral rehydration solution works because glucose pulls sodium in, and sodium pulls water, even while "
        "cholera toxin makes the gut secrete fluid.",
        "SGLT2 inhibitors such as empagliflozin lower blood glucose by blocking glucose reabsorption in the "
        "proximal tubule.",
        "In an antiporter, or exchanger, sodium moves in while the other substance moves out.",
        "The sodium calcium exchanger of heart muscle pushes one calcium out for three sodium in.",
        "When digoxin blocks the sodium pump, sodium rises inside, the exchanger slows, calcium stays in, and "
        "the heart contracts more strongly.",
        "The sodium hydrogen exchanger helps cells get rid of acid and regulate their pH.",
        "Whenever a substance moves uphill with no ATPase in sight, look for the ion gradient it is coupled to.",
    ),
    (   # equilibrium potentials
        "Now let us add electricity to the story, because ions carry charge and feel the voltage across the "
        "membrane.",
        "Each ion feels two forces: the concentration gradient pushing one way and the electrical gradient, "
        "which may push the other way.",
        "The equilibrium potential is the voltage at which these two forces balance, so the net flux of that ion "
        "is zero.",
        "At body temperature the Nernst equation gives sixty one millivolts divided by the charge, times the log "
        "of the outside over the inside concentration.",
        "For potassium, with four outside and one hundred and forty inside, the equilibrium potential is about "
        "minus ninety four millivolts.",
        "For sodium, with one hundred and forty five outside and fifteen inside, it is about plus sixty "
        "millivolts.",
        "For calcium it is well over plus one hundred millivolts, because free calcium inside the cell is so "
        "low.",
        "For chloride it is around minus seventy to minus ninety millivolts, close to the resting potential of "
        "many cells.",
        "Only a tiny number of ions has to move to set up these voltages, so the bulk concentrations barely "
        "change.",
        "The driving force on an ion is the membrane potential minus that ion's equilibrium potential.",
        "At minus seventy millivolts sodium has an inward driving force of about one hundred and thirty "
        "millivolts.",
        "A useful habit is to check the sign: a positive ion that is high outside has a positive equilibrium "
        "potential.",
    ),
    (   # resting membrane potential
        "The resting membrane potential of a typical neuron is about minus seventy millivolts, and of skeletal "
        "muscle about minus ninety.",
        "At rest the membrane is far more permeable to potassium than to sodium, mainly through leak potassium "
        "channels.",
        "So the resting potential sits close to potassium's equilibrium potential, pulled a little toward "
        "sodium's.",
        "The Goldman Hodgkin Katz equation weights each ion's concentrations by its permeability to give the "
        "resting potential.",
        "Think of a tug of war where each ion pulls toward its own equilibrium potential with a strength set by "
        "its permeability.",
        "The pump adds only a few millivolts directly; its main role is to keep the gradients that the leak "
        "channels rely on.",
        "Raise extracellular potassium and potassium's equilibrium potential becomes less negative, so the cell "
        "depolarises.",
        "That is why hyperkalaemia is dangerous: heart cells depolarise, sodium channels inactivate, and the "
        "heart can stop.",
        "Calcium gluconate steadies the heart in hyperkalaemia while insulin and glucose shift potassium back "
        "into cells.",
        "Hypokalaemia does the opposite and hyperpolarises cells, which causes weakness and arrhythmias.",
        "An action potential is a brief switch from potassium dominance to sodium dominance and back.",
        "When voltage-gated sodium channels open, sodium permeability jumps and the membrane swings toward "
        "sodium's equilibrium potential.",
    ),
    (   # clinical correlations
        "Cystic fibrosis is caused by mutations in CFTR, a chloride channel of the ABC transporter family.",
        "The commonest mutation, delta F508, makes the protein misfold, so it is destroyed before it reaches the "
        "membrane.",
        "Without chloride secretion less sodium and water follow into the airway, so the mucus becomes thick "
        "and sticky.",
        "That thick mucus blocks airways and pancreatic ducts, which leads to lung infections and poor "
        "absorption of fat.",
        "The sweat test works the other way round: sweat ducts need CFTR to take chloride back, so sweat "
        "chloride is high.",
        "CFTR modulators such as elexacaftor, tezacaftor and ivacaftor help the mutant protein fold and open.",
        "Cholera toxin keeps a G protein of intestinal cells switched on, so cyclic AMP rises and CFTR is stuck "
        "open.",
        "The result is massive chloride secretion, with sodium and water following, and litres of watery "
        "diarrhoea a day.",
        "Multidrug resistance in cancer often comes from ABC transporters like P-glycoprotein pumping drugs out "
        "of the tumour cell.",
        "Local anaesthetics like lidocaine block voltage-gated sodium channels and stop pain signals from being "
        "conducted.",
        "Loop diuretics such as furosemide block the sodium potassium two chloride cotransporter of the thick "
        "ascending limb.",
        "Thiazide diuretics block the sodium chloride cotransporter of the distal convoluted tubule.",
    ),
    (   # vesicles and summary
        "Some cargo is far too big for any channel or carrier, so the cell wraps it in membrane instead.",
        "In endocytosis the membrane folds inward and pinches off a vesicle carrying material from outside.",
        "Phagocytosis is the engulfing of large particles such as bacteria, which macrophages and neutrophils do "
        "all day.",
        "Pinocytosis is the continuous, unselective uptake of small droplets of extracellular fluid.",
        "Receptor-mediated endocytosis uses clathrin-coated pits to take up specific ligands such as LDL "
        "cholesterol.",
        "In familial hypercholesterolaemia the LDL receptor is defective, so LDL stays in the blood and "
        "atherosclerosis starts early.",
        "In exocytosis a vesicle fuses with the plasma membrane and releases its contents outside, as when a "
        "neuron releases transmitter.",
        "SNARE proteins pull the vesicle and plasma membranes together, and calcium entry triggers the final "
        "fusion.",
        "Botulinum toxin cuts SNARE proteins, so acetylcholine cannot be released and muscles become paralysed.",
        "Transcytosis moves material right across a cell, as when antibodies cross the placenta.",
        "To sum up, every substance crosses by one of a few routes: through the lipid, through a channel, on a "
        "carrier, by a pump, or in a vesicle.",
        "For each route, ask whether it runs with or against the gradient, whether it saturates, and where the "
        "energy comes from.",
    ),
)

OPENING = ("Good morning everyone, let's get started. Today we are talking about how substances get across the "
           "cell membrane, and by the end you should be able to explain the resting membrane potential.")
ASIDES = (
    "Okay, let's move on to the next slide.",
    "Does anyone have a question about that before we go on?",
    "This comes up on the exam almost every year, so make sure you understand it.",
    "I'll put the slides on the course page after the lecture.",
    "Let me draw this on the board so you can see it.",
    "You can see the numbers in the table on this slide.",
    "Keep this picture in mind, because we will come back to it in a few minutes.",
    "If you remember one thing from this part, remember this.",
    "Good question, and the answer is yes, with one exception we will see later.",
    "I know this looks like a lot of detail, but the logic is simple once you see it.",
    "Let's do a quick example together.",
    "Take a second to think about which direction things move here.",
    "Right, so where were we.",
    "The textbook covers this in chapter four if you want more detail.",
    "Let's pause here for a moment and recap.",
)
FILLERS = ("um,", "uh,", "so,", "okay so", "you know,", "and uh,", "now,", "basically,", "right,", "so um,")


def _mid_sentence(sentence: str) -> str:
    """`sentence` as it reads after a lead-in: capitalised only where the word itself is (GLUT4, Fick's)."""
    word = sentence.split(" ", 1)[0]
    keep = word[1:] != word[1:].lower() or word in ("Fick's",)
    return sentence if keep else sentence[0].lower() + sentence[1:]


def _spoken(sentence: str, rng: random.Random) -> str:
    """A sentence as an automatic caption renders speech: a filler now and then, sometimes a false start."""
    roll = rng.random()
    if roll < 0.30:
        sentence = f"{rng.choice(FILLERS).capitalize()} {_mid_sentence(sentence)}"
    elif roll < 0.40:
        first = " ".join(sentence.split()[:2])
        sentence = f"{first}, {_mid_sentence(sentence)}"
    return sentence


def _durations(count: int, total: float, rng: random.Random) -> list[float]:
    # Slides stay up for very different times: a title flashes by, a diagram is talked through for minutes.
    weights = [rng.uniform(0.45, 1.6) for _ in range(count)]
    scale = total / sum(weights)
    return [w * scale for w in weights]


def build_lecture(minutes: float = 60, *, wpm: int = WORDS_PER_MINUTE, seed: int = 7) -> LectureInput:
    """A deterministic lecture of `minutes`: about 50 slides an hour, `wpm` spoken words a minute, two revisits."""
    if not 1 <= minutes <= MAX_MINUTES:
        raise InputError(f"--minutes {minutes} is out of range; give a lecture length from 1 to {MAX_MINUTES} "
                         "minutes", minutes=minutes)
    rng = random.Random(seed)
    count = max(3, round(SLIDES_PER_HOUR * minutes / 60))
    revisits = {round(count * 0.7), round(count * 0.9)} if count >= 20 else set()
    cursors = [0] * len(SECTIONS)
    slides: list[SlideInput] = []
    start = 0.0
    for i, seconds in enumerate(_durations(count, minutes * 60.0, rng)):
        section = min(len(SECTIONS) - 1, i * len(SECTIONS) // count)
        words_wanted = round(seconds * wpm / 60)
        said: list[str] = [OPENING] if i == 0 else []
        repeat_of = None
        if i in revisits:
            # Back to the first slide of an earlier section to answer a question about it.
            repeat_of = max(0, section - 2) * count // len(SECTIONS)
            section = min(len(SECTIONS) - 1, repeat_of * len(SECTIONS) // count)
        pool = SECTIONS[section]
        said = [_spoken(s, rng) for s in said]
        words = sum(len(s.split()) for s in said)
        while True:
            aside = rng.random() < 0.12
            nxt = _spoken(rng.choice(ASIDES) if aside else pool[cursors[section] % len(pool)], rng)
            # Stop at the sentence that lands nearest the slide's share of words, so the hour keeps its pace.
            if said and words + len(nxt.split()) / 2 > words_wanted:
                break
            cursors[section] += 0 if aside else 1
            said.append(nxt)
            words += len(nxt.split())
        text = " ".join(said)
        slides.append(SlideInput(index=i, start=round(start, 2), end=round(start + seconds, 2), text=text,
                                 repeat_of=repeat_of))
        start += seconds
    return LectureInput(title_hint="PHYS-201 week 3 lecture 7 membrane transport.mp4", slides=slides)


def lecture_words(lecture: LectureInput) -> int:
    """Spoken words in the lecture."""
    return sum(len(s.text.split()) for s in lecture.slides)


# ---- token estimates and OpenAI's automatic prompt cache, as the fake reports them -------------------------------

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 3     # role and separators per message, plus 3 to prime the reply (OpenAI cookbook)
CACHE_MIN_TOKENS = 1024         # OpenAI caches prompts of at least 1,024 tokens ...
CACHE_STEP_TOKENS = 128         # ... and hits grow in 128-token steps


def estimate_tokens(text: str) -> int:
    """Tokens in `text` at four characters each (no tokenizer is installed and no endpoint is reachable)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of `a` and `b` (binary search over slices, so it stays in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def cached_tokens(prefix_chars: int) -> int:
    """Prompt tokens OpenAI bills as cached for an identical prefix of `prefix_chars` characters."""
    tokens = prefix_chars // CHARS_PER_TOKEN
    return 0 if tokens < CACHE_MIN_TOKENS else tokens // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS


class PromptCache:
    """The prompts an endpoint has seen per model; a new prompt hits on its longest prefix shared with one of them."""

    def __init__(self) -> None:
        self._seen: dict[str, list[str]] = {}

    def lookup_and_store(self, model: str, prompt: str) -> int:
        """Cached tokens for `prompt` (0 on the model's first prompt); the prompt is remembered for later ones."""
        seen = self._seen.setdefault(model, [])
        best = max((common_prefix(prompt, earlier) for earlier in seen), default=0)
        seen.append(prompt)
        return min(cached_tokens(best), estimate_tokens(prompt))


@dataclass(frozen=True)
class Usage:
    """What the fake reported for one request, with the cache hit the anchor's layout would have had."""

    model: str
    task: str
    tokens_in: int
    tokens_cached: int
    tokens_out: int
    cached_if_shared: int       # the transcript shared across tasks, schema not leading the prefix


_PASSAGE = re.compile(r"\[#(\d+) slide (\d+)( again)? ([\d:]+)-([\d:]+)\](?:\nSlide text: [^\n]*)?\s(.*?)"
                      r"(?=\n\n\[#\d+ |\Z)", re.S)


def _seconds(clock_text: str) -> float:
    value = 0
    for part in clock_text.split(":"):
        value = value * 60 + int(part)
    return float(value)


def lecture_from_request(messages: list[dict]) -> LectureInput:
    """The lecture a chat request carries, read back from its transcript and task parameters."""
    # A request with slide pictures carries its transcript as text and image parts; the offline engine reads the text.
    transcript, task_text = transcript_text(messages[1]["content"]), messages[-1]["content"]
    slides = [SlideInput(index=int(m[1]), number=int(m[2]), start=_seconds(m[4]), end=_seconds(m[5]),
                         text=m[6].strip()) for m in _PASSAGE.finditer(transcript)]
    columns = re.search(r"^Columns, in this order: (.+)$", task_text, re.M)
    hint = re.search(r"^Title hint: (.+)$", task_text, re.M)
    language = re.search(r"\(code: ([\w-]+)\)", task_text)
    return LectureInput(slides=slides, title_hint=hint[1].strip() if hint else "",
                        language=language[1] if language else "en",
                        study_columns=[c.strip() for c in columns[1].split("|")] if columns else [],
                        vignette_style="clinical" if "Style: clinical" in task_text else "applied")


class OfflineAnswers:
    """The fake's responder: the offline engine's answer to each request, with usage estimated from the text."""

    def __init__(self) -> None:

        self.engine = OfflineEngine()
        self.documented = PromptCache()
        self.shared = PromptCache()
        self.usage: list[Usage] = []
        self._answers: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def _answer(self, task: str, messages: list[dict]) -> str:
        key = (task, transcript_text(messages[1]["content"]) + messages[-1]["content"])
        if key not in self._answers:
            lecture = lecture_from_request(messages)
            completion = self.engine.run(task, lecture, Prompt(task, messages[-1]["content"]))
            self._answers[key] = json.dumps(from_answer(task, lecture, completion.value), ensure_ascii=False)
        return self._answers[key]

    def __call__(self, request):
        """Answer one chat completion request as a model would, in size and in schema."""
        body = request.json()
        task = body["response_format"]["json_schema"]["name"]
        schema = json.dumps(body["response_format"]["json_schema"], ensure_ascii=False)
        messages = body["messages"]
        said = "".join(f"{m['role']}\n{transcript_text(m['content'])}\n" for m in messages)
        tokens_in = estimate_tokens(schema + said) + MESSAGE_OVERHEAD_TOKENS * (len(messages) + 1)
        with self._lock:
            content = self._answer(task, messages)
            # OpenAI puts the structured-output schema before the system message; the anchor assumed it did not.
            cached = self.documented.lookup_and_store(body["model"], schema + said)
            cached_if_shared = self.shared.lookup_and_store(body["model"], said + schema)
            usage = Usage(body["model"], task, tokens_in, min(cached, tokens_in), estimate_tokens(content),
                          min(cached_if_shared, tokens_in))
            self.usage.append(usage)
        return ChatReply(content=content, prompt_tokens=usage.tokens_in, cached_tokens=usage.tokens_cached,
                         completion_tokens=usage.tokens_out)


# ---- running the service -----------------------------------------------------------------------------------------

@dataclass
class Totals:
    """One run of the six tasks as the cost ledger recorded it."""

    calls: int = 0
    cached_calls: int = 0
    tokens_in: int = 0
    tokens_cached: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    http_requests: int = 0


@dataclass
class ModelResult:
    """A model's first run, its cached re-run and what the first run would cost with a transcript-first cache."""

    model: str
    first: Totals
    rerun: Totals
    cost_if_shared: float
    cached_if_shared: int
    per_task: list[Usage] = field(default_factory=list)


@dataclass
class Report:
    """Everything the benchmark prints."""

    minutes: float
    slides: int
    words: int
    transcript_tokens: int
    offline_seconds: float
    models: list[ModelResult]


def _settings(data_dir: Path, model: str, engine: str, fake=None):
    values = {"HANDOUTS_DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{data_dir / 'bench.db'}",
              "HANDOUTS_AI_ENGINE": engine, "HANDOUTS_AI_MODEL": model, "HANDOUTS_AI_CACHE": "db",
              "HANDOUTS_AI_PROFILE": "default", "HANDOUTS_AI_RETRIES": 0, "HANDOUTS_AI_BREAKER_FAILURES": 50}
    if fake is not None:
        values.update({"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url})
    return load_settings(**values)


def check_prices(settings, models: list[str]) -> None:
    """ConfigError when a model has no price, since its cost would print as a misleading $0."""
    for model in models:
        if model in settings.ai_prices or any(model.startswith(name + "-") for name in settings.ai_prices):
            continue
        raise ConfigError("HANDOUTS_AI_PRICES", f"no price for model '{model}'; add it to the price table "
                          f"(known: {', '.join(sorted(settings.ai_prices))}) or leave it out of --models")


def _ledger_totals(sessions, job_id: str) -> Totals:
    with sessions() as session:
        n, c, tin, tc, tout, cost = session.execute(
            select(func.count(), func.sum(case((AIRequest.cached, 1), else_=0)), func.sum(AIRequest.tokens_in),
                   func.sum(AIRequest.tokens_cached), func.sum(AIRequest.tokens_out), func.sum(AIRequest.cost_usd))
            .where(AIRequest.job_id == job_id)).one()
    return Totals(int(n), int(c or 0), int(tin or 0), int(tc or 0), int(tout or 0), float(cost or 0.0))


def new_job(sessions, label: str) -> str:
    """A job row for one run, so the ledger's rows hang off a job as they do in production."""
    with sessions() as session, session.begin():
        job = Job(tenant="bench", source=f"benchmarks.ai_cost: {label}", origin="cli", status="running")
        session.add(job)
        session.flush()
        return job.id


def run_tasks(service, lecture: LectureInput, job_id: str | None) -> float:
    """Run the six tasks as the study stage does; seconds taken. An AIError stops the benchmark, it is not a figure."""
    started = time.perf_counter()
    # The study stage's own order, so the prompt cache sees requests as a job sends them.
    for task in TASK_ORDER:
        service.run(task, lecture, job_id=job_id, tenant="bench", stage="study")
    return time.perf_counter() - started


def time_offline(lecture: LectureInput, data_dir: Path) -> float:
    """Wall time of the offline engine for the six tasks, through the service with no cache."""
    service = AIService(_settings(data_dir, "extractive-v1", "offline"), None, cache=NullCache())
    return run_tasks(service, lecture, None)


def run_model(model: str, lecture: LectureInput, fake, answers: OfflineAnswers, data_dir: Path) -> ModelResult:
    """First run and cached re-run of one model through the real service, engine, cache and ledger."""
    settings = _settings(data_dir, model, "openai", fake)
    db = make_engine(settings.db_url)
    upgrade(db)
    sessions = make_sessionmaker(db)
    def one_run(label: str):
        # A new service each time, as a new worker process would have: only the database cache carries over.
        seen = len(fake.requests_to("/v1/chat/completions"))
        job = new_job(sessions, f"{model} {label}")
        seconds = run_tasks(AIService(settings, sessions, engine=OpenAIEngine(settings)), lecture, job)
        totals = _ledger_totals(sessions, job)
        totals.seconds = seconds
        totals.http_requests = len(fake.requests_to("/v1/chat/completions")) - seen
        return totals

    try:
        before = len(answers.usage)
        first = one_run("first run")
        per_task = answers.usage[before:]
        rerun = one_run("re-run")
    finally:
        db.dispose()
    if_shared = sum(price_of(settings, model, u.tokens_in, u.cached_if_shared, u.tokens_out) for u in per_task)
    return ModelResult(model, first, rerun, round(if_shared, 6), sum(u.cached_if_shared for u in per_task), per_task)


def run_benchmark(minutes: float = 60, models: list[str] | tuple[str, ...] = DEFAULT_MODELS) -> Report:
    """Build the lecture, time the offline engine, then run every model against the fake OpenAI server."""
    models = [m.strip() for m in models if m.strip()]
    if not models:
        raise InputError("--models is empty; name at least one model, e.g. --models gpt-4o-mini", models=models)
    lecture = build_lecture(minutes)
    with tempfile.TemporaryDirectory(prefix="handouts-ai-cost-") as tmp:
        root = Path(tmp)
        check_prices(_settings(root, models[0], "offline"), models)
        offline_seconds = time_offline(lecture, root / "offline")
        answers = OfflineAnswers()
        results = []
        with FakeOpenAI() as fake:
            fake.answer_chat_with(answers)
            for model in models:
                results.append(run_model(model, lecture, fake, answers, root / re.sub(r"[^\w.-]", "_", model)))
    return Report(minutes, len(lecture.slides), lecture_words(lecture), estimate_tokens(render_transcript(lecture)),
                  offline_seconds, results)


# ---- printing ----------------------------------------------------------------------------------------------------

ANCHOR_BAND = (0.02, 0.045)
ANCHOR_PER_MODEL = {"gpt-4o-mini": 0.018, "gpt-5.4-nano": 0.029, "gpt-4.1-mini": 0.043, "gpt-5-mini": 0.045,
                    "gpt-5.4-mini": 0.104}
"""USD per lecture-hour from /work/shared/notes/anchors.md §3.3 (12k-token transcript, 5 calls, 4 prefixes cached)."""


def _per_hour(value: float, minutes: float) -> float:
    return value * 60.0 / minutes


def format_report(report: Report) -> str:
    """The figures as text: lecture, per-model first run and re-run, per-task tokens, offline time, anchor ratio."""
    lines = [
        f"AI cost per lecture: {report.minutes:g} min, {report.slides} slides, {report.words:,} words "
        f"({report.words / report.minutes:.0f} wpm), transcript ≈ {report.transcript_tokens:,} tokens",
        *textwrap.wrap(
            "NOTE: no network is reachable here. Token counts are ESTIMATED (characters / 4) by the fake OpenAI "
            "server on 127.0.0.1; cached input follows OpenAI's automatic prompt caching (identical prefix ≥ 1,024 "
            "tokens, 128-token steps) with the structured-output schema leading the prefix, as OpenAI documents. "
            "Answers are the offline engine's, so output sizes are that engine's; gpt-5 reasoning tokens are not "
            "modelled. Cost is the ledger's own, from settings.ai_prices.", 110),
        "",
        f"{'model':<14} {'run':<7} {'calls':>5} {'hits':>6} {'tokens in':>10} {'cached in':>10} {'out':>8} "
        f"{'USD':>9} {'USD/lecture-h':>13} {'HTTP':>5} {'wall s':>7}",
    ]
    for r in report.models:
        for name, t in (("first", r.first), ("re-run", r.rerun)):
            lines.append(f"{r.model:<14} {name:<7} {t.calls:>5} {t.cached_calls:>6} {t.tokens_in:>10,} "
                         f"{t.tokens_cached:>10,} {t.tokens_out:>8,} {t.cost_usd:>9.4f} "
                         f"{_per_hour(t.cost_usd, report.minutes):>13.4f} {t.http_requests:>5} {t.seconds:>7.2f}")
    lines.append("(hits: calls answered from the database cache; HTTP: chat requests the fake server received)")
    lines += ["", "Per task (first run of the first model; tokens as the fake reported them):",
              f"  {'task':<15} {'in':>8} {'cached':>8} {'out':>8}"]
    for u in report.models[0].per_task if report.models else []:
        lines.append(f"  {u.task:<15} {u.tokens_in:>8,} {u.tokens_cached:>8,} {u.tokens_out:>8,}")
    lines += ["", "If every task shared the transcript prefix (the anchor's assumption; not what per-task schemas "
                  "allow):"]
    for r in report.models:
        shared = _per_hour(r.cost_if_shared, report.minutes)
        anchor = ANCHOR_PER_MODEL.get(r.model)
        lines.append(f"  {r.model:<14} cached in {r.cached_if_shared:>8,}  USD/lecture-h {shared:.4f}  (saves "
                     f"{_per_hour(r.first.cost_usd - r.cost_if_shared, report.minutes):.4f}"
                     + (f"; {shared / anchor:.2f}× the anchor)" if anchor else ")"))
    lines += ["", f"Offline engine, same lecture, six tasks: {report.offline_seconds:.2f} s wall, $0.00", "",
              f"Published anchor (anchors.md §3.3): ${ANCHOR_BAND[0]:.2f}–{ANCHOR_BAND[1]:.3f} per lecture-hour for "
              "mini/nano models"]
    for r in report.models:
        ours = _per_hour(r.first.cost_usd, report.minutes)
        anchor = ANCHOR_PER_MODEL.get(r.model)
        versus = f"{ours / anchor:.2f}× the anchor's ${anchor:.3f} for this model" if anchor else "no anchor"
        lines.append(f"  {r.model:<14} ${ours:.4f}/lecture-h = {versus}; "
                     f"{ours / ANCHOR_BAND[1]:.2f}× the band's top")
    if report.minutes < 30:
        lines.append(f"  (a {report.minutes:g}-minute lecture scaled to an hour; short lectures miss the cache "
                     "more)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command: parse arguments, run, print; exit 2 with one line on bad input."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ai_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60, help="lecture length in minutes (default 60)")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated model names priced in settings (default {','.join(DEFAULT_MODELS)})")
    args = parser.parse_args(argv)
    # The service logs every call and cache hit; the figures are the output here, so only warnings show.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        report = run_benchmark(args.minutes, args.models.split(","))
    except HandoutsError as e:
        print(f"ai_cost: {e.message}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
