"""Study materials with and without the slide pictures: slide facts kept, tokens and USD per lecture-hour, time.

    python -m benchmarks.study [--minutes 60] [--models gpt-4o-mini,gpt-4.1-nano,gpt-5-mini]

Runs with no key and no network: the real AIService, OpenAIEngine (the official SDK) and cost ledger (SQLite in a
temporary folder) talk to the fake OpenAI server of tests/fakes on 127.0.0.1, which reports prompt tokens worked
out from each request (text at 4 characters a token, each picture by the model's rule in HANDOUTS_AI_VISION) and
output tokens from its answer's length.

The lecture is benchmarks.ai_cost's hour on membrane transport (about 50 slides, two returns to earlier slides).
Each distinct slide is drawn at 1280x720 with its heading, two lines from its section and a small table of
figures the lecturer never says (concentrations, voltages, rates); slide *facts* are the content words and
numbers our OCR (pipeline.slides.ocr, default options, as the slides stage stores them) reads off those pictures.

The model is a stand-in, the same for every variant: a reader that answers key points and practice questions by
copying what the request gives it (a passage's first sentences, its 'Slide text:' lines, and the text it reads
off each picture it is sent with the same OCR engine at the size it receives), and any schema-valid answer to the
other tasks. So "facts kept" measures what slide content *reaches* the model, legibly, in each variant, not how
well a real model uses it; a real model can also read what OCR cannot (a diagram's shape, a plot's trend).

Variants, measured in the same run: the peer, `speech` (text-only prompts: the transcript alone, as before slide
text and pictures); `speech+pictures`; `speech+slide text` (OCR text in the prompt, no pictures); and ours,
`speech+slide text+pictures`, what the pipeline now sends by default to a model that reads images.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from benchmarks.ai_cost import SECTIONS, build_lecture, check_prices
from handouts.schema import upgrade
from pipeline.ai.cache import NullCache
from pipeline.ai.images import accepts_images, image_tokens, prepare_images, typical_image_tokens
from pipeline.ai.openai_engine import OpenAIEngine
from pipeline.ai.schemas import LectureInput
from pipeline.ai.service import AIService
from pipeline.db import make_engine, make_sessionmaker
from pipeline.errors import AIError, HandoutsError
from pipeline.models import AIRequest
from pipeline.settings import load_settings
from pipeline.slides.ocr import OcrOptions, OcrUnavailable, make_engine as make_ocr, read_image, read_slides
from pipeline.stages.study import TASK_ORDER
from tests.fakes.openai_server import ChatReply, FakeOpenAI, FakeRequest, image_parts, random_within
from benchmarks import quiet_logs

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4.1-nano", "gpt-5-mini")
VARIANTS = ("speech", "speech+pictures", "speech+slide text", "speech+slide text+pictures")
PEER, OURS = VARIANTS[0], VARIANTS[-1]
FONTS = Path(__file__).resolve().parent.parent / "pipeline" / "fonts"
HEADINGS = ("The plasma membrane", "Simple diffusion", "Osmosis and tonicity", "Channels and carriers",
            "Facilitated diffusion", "The sodium-potassium pump", "Secondary active transport",
            "Vesicular transport", "Membrane potential", "Clinical correlations")
# What each section's slides show in a table and the lecturer does not say: textbook figures, written here.
FIGURES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("Bilayer thickness", "5 nm"), ("Cholesterol share", "20-30 %"), ("Protein by mass", "50 %")),
    (("Oxygen permeability", "high"), ("Glucose permeability", "low"), ("Fick law", "J = -D dC/dx")),
    (("Plasma osmolality", "290 mOsm/kg"), ("Isotonic saline", "0.9 % NaCl"), ("Hypotonic result", "lysis")),
    (("Aquaporin rate", "3 billion/s"), ("Carrier rate", "1000/s"), ("Channel gating", "voltage, ligand")),
    (("GLUT1 Km", "1.5 mM"), ("GLUT4 trigger", "insulin"), ("Saturation", "Vmax plateau")),
    (("Stoichiometry", "3 Na out, 2 K in"), ("ATP share", "25 % of resting use"), ("Inhibitor", "ouabain")),
    (("SGLT1 ratio", "2 Na : 1 glucose"), ("NCX ratio", "3 Na : 1 Ca"), ("Driving force", "Na gradient")),
    (("Clathrin coat", "endocytosis"), ("SNARE proteins", "fusion"), ("Exocytosis trigger", "calcium")),
    (("Resting potential", "-70 mV"), ("Potassium Nernst", "-90 mV"), ("Sodium Nernst", "+60 mV")),
    (("Cystic fibrosis", "CFTR chloride channel"), ("Digoxin", "pump inhibitor"), ("Cholera toxin", "cAMP")),
)
STOP = set("""about above after again against along also among because before being below between both could does
doing down during each either every from further have having here into itself just more most much must never
only other over same should since some such than that their them then there these they this those through under
until very were what when where which while whom will with within without would your yours""".split())


def terms(text: str) -> set[str]:
    """The content words and numbers of `text`: words of four letters or more not on the stop list, any number."""
    found = set()
    for w in re.findall(r"[A-Za-z][A-Za-z-]+|\d+(?:[.,]\d+)?", text):
        w = w.lower().strip("-")
        if w.isdigit() or re.fullmatch(r"\d+[.,]\d+", w) or (len(w) >= 4 and w not in STOP):
            found.add(w)
    return found


# ---- the slides --------------------------------------------------------------------------------------------------

def _font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), px)


def _wrap(sentence: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in sentence.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return lines + ([cur] if cur else [])


def draw_slide(section: int, k: int, size=(1280, 720)) -> Image.Image:
    """Slide `k` of `section`: heading, two lines from the section, and its table of figures."""
    w, h = size
    img = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, int(h * 0.15)), fill=(31, 73, 125))
    d.text((w * 0.05, h * 0.04), f"{HEADINGS[section]} ({k + 1})", font=_font(h // 16, bold=True),
           fill=(255, 255, 255))
    pool = SECTIONS[section]
    body = _wrap(pool[(2 * k) % len(pool)], 60)[:2]
    for j, line in enumerate(body):
        d.text((w * 0.06, h * (0.22 + 0.08 * j)), line, font=_font(h // 28), fill=(30, 30, 30))
    top = h * 0.45
    rows = FIGURES[section]
    cell = _font(h // 30)
    for r, (name, value) in enumerate(rows):
        y = top + r * h * 0.1
        d.rectangle((w * 0.1, y, w * 0.5, y + h * 0.1), outline=(60, 60, 60), width=2)
        d.rectangle((w * 0.5, y, w * 0.85, y + h * 0.1), outline=(60, 60, 60), width=2)
        d.text((w * 0.12, y + h * 0.025), name, font=cell, fill=(20, 20, 20))
        d.text((w * 0.52, y + h * 0.025), value, font=cell, fill=(20, 20, 20))
    return img


@dataclass
class Deck:
    """The lecture in its four variants, with the facts its slides carry."""

    variants: dict[str, LectureInput]
    facts: dict[str, set[str]]          # image name -> terms OCR read off it
    unspoken: set[str]                  # facts the lecturer never says
    prepare_seconds: float              # downscaling and encoding the pictures
    ocr_seconds: float
    picture_bytes: int


def build_deck(minutes: float, folder: Path, settings) -> Deck:
    """The lecture, its slide pictures, their OCR text, and the four variants of what the model is given."""
    lecture = build_lecture(minutes)
    count = len(lecture.slides)
    names: dict[int, str] = {}
    seen_in_section: dict[int, int] = {}
    slides = []
    for s in lecture.slides:
        section = min(len(SECTIONS) - 1, s.index * len(SECTIONS) // count)
        if s.repeat_of is not None:
            name = names[s.repeat_of]
        else:
            k = seen_in_section.get(section, 0)
            seen_in_section[section] = k + 1
            name = f"slide-{s.index:03d}.png"
            draw_slide(section, k).save(folder / name)
        names[s.index] = name
        slides.append(s.model_copy(update={"image": name}))
    distinct = list(dict.fromkeys(names.values()))
    started = time.perf_counter()
    report = read_slides(folder, distinct, OcrOptions(), cache=None)  # timed: every slide read afresh
    ocr_seconds = time.perf_counter() - started
    started = time.perf_counter()
    images, problems = prepare_images({n: folder / n for n in distinct}, settings)
    prepare_seconds = time.perf_counter() - started
    if problems:
        raise HandoutsError(f"slide pictures could not be prepared: {problems}")
    with_text = [s.model_copy(update={"slide_title": report.texts[s.image].title,
                                      "slide_text": report.texts[s.image].text}) for s in slides]
    base = lecture.model_copy(update={"slides": slides})
    text = lecture.model_copy(update={"slides": with_text})
    variants = {"speech": base, "speech+pictures": base.model_copy(update={"images": images}),
                "speech+slide text": text, "speech+slide text+pictures": text.model_copy(update={"images": images})}
    facts = {n: terms(report.texts[n].text) for n in distinct}
    spoken = terms(" ".join(s.text for s in lecture.slides))
    unspoken = set().union(*facts.values()) - spoken
    return Deck(variants, facts, unspoken, prepare_seconds, ocr_seconds,
                sum(i.encoded_bytes for i in images.values()))


# ---- the stand-in model ------------------------------------------------------------------------------------------

_MARKER = re.compile(r"\[#(\d+) slide (\d+)[^\]]*\]")


class Reader:
    """Answers key points and questions by copying what each request carries; reads pictures with OCR."""

    def __init__(self) -> None:
        self.ocr = make_ocr(OcrOptions(workers=1))
        self._read: dict[str, list[str]] = {}
        self.ocr_seconds = 0.0
        self.rng = random.Random(3)

    def look(self, jpeg: bytes) -> list[str]:
        """The lines the stand-in reads off a picture, at the size it was sent (remembered per picture)."""
        key = hashlib.sha256(jpeg).hexdigest()
        if key not in self._read:
            started = time.perf_counter()
            with Image.open(io.BytesIO(jpeg)) as img:
                text = read_image(self.ocr, img, max(img.size))
            self._read[key] = [" ".join(line.text.split()) for line in text.lines]
            self.ocr_seconds += time.perf_counter() - started
        return self._read[key]

    def _picture_lines(self, part: dict) -> list[str]:
        return self.look(base64.b64decode(part["image_url"]["url"].split(",", 1)[1]))

    def passages(self, body: dict) -> dict[int, dict]:
        """Passage index -> its slide number, speech sentences and slide lines (written and seen)."""
        content = body["messages"][1]["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        out: dict[int, dict] = {}
        last: int | None = None
        for part in parts:
            if part["type"] == "image_url":
                if last is not None:
                    out[last]["lines"] += self._picture_lines(part)
                continue
            pieces = _MARKER.split(part["text"])
            for j in range(1, len(pieces) - 2, 3):
                index, number, rest = int(pieces[j]), int(pieces[j + 1]), pieces[j + 2]
                lines, speech = [], []
                for row in rest.strip().split("\n"):
                    if row.startswith("Slide text: "):
                        lines += [x.strip() for x in row.removeprefix("Slide text: ").split(" / ")]
                    elif row.strip():
                        speech += [x for x in re.split(r"(?<=[.!?])\s+", row.strip()) if x]
                out[index] = {"number": number, "speech": speech, "lines": lines}
                last = index
        return out

    def __call__(self, request: FakeRequest) -> ChatReply:
        body = request.json()
        task = body["response_format"]["json_schema"]["name"]
        passages = self.passages(body)
        spoken = {i: p for i, p in passages.items() if p["speech"]}
        if task == "key_points":
            slides = [{"index": i, "points": list(dict.fromkeys(p["speech"][:2] + p["lines"]))}
                      for i, p in spoken.items()]
            heads = list(dict.fromkeys(p["lines"][0] for p in passages.values() if p["lines"]))
            answer = {"lecture": (heads or [p["speech"][0] for p in spoken.values()])[:12], "slides": slides}
        elif task == "vignettes":
            answer = self._questions(passages)
        else:
            answer = random_within(body["response_format"]["json_schema"]["schema"], self.rng)
        content = json.dumps(answer)
        return ChatReply(answer, completion_tokens=-(-len(content) // 4))

    @staticmethod
    def _questions(passages: dict[int, dict]) -> dict:
        facts = [(p["number"], line) for p in passages.values() for line in p["lines"][1:]]
        facts += [(p["number"], p["speech"][0]) for p in passages.values() if p["speech"]]
        facts = list(dict.fromkeys(facts))
        questions = []
        for k, (number, fact) in enumerate(facts[:40]):
            others = [f for _, f in facts if f != fact]
            picks = [others[(k * 7 + j * 13) % len(others)] for j in range(4)] if len(others) >= 4 else []
            if len(set(picks)) < 4:
                continue
            questions.append({"objective": f"Recall slide {number}", "stem": f"On slide {number} the lecture "
                              f"states a fact ({k + 1}).", "question": "Which statement appears there?",
                              "choices": dict(zip("ABCDE", [fact, *picks])), "answer": "A",
                              "explanation": fact, "difficulty": "easy", "slides": [number]})
        return {"objectives": list(dict.fromkeys(q["objective"] for q in questions)) or ["Recall"],
                "questions": questions or [{"objective": "Recall", "stem": "-", "question": "-",
                                            "choices": {c: c for c in "ABCDE"}, "answer": "A",
                                            "explanation": "-", "difficulty": "easy", "slides": []}]}


# ---- running -----------------------------------------------------------------------------------------------------

@dataclass
class Run:
    variant: str
    model: str
    seconds: float = 0.0
    model_seconds: float = 0.0          # the stand-in's OCR of pictures: the "model's" time, not ours
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_image: int = 0
    cost_usd: float = 0.0
    request_bytes: int = 0
    pictures_sent: int = 0
    kept: float = 0.0                   # share of slide facts in key points and questions
    kept_unspoken: float = 0.0
    missing: list[str] = field(default_factory=list)


def _settings(root: Path, model: str, fake=None, images: str = "auto"):
    values = {"HANDOUTS_DATA_DIR": str(root), "DATABASE_URL": f"sqlite:///{root / 'bench.db'}",
              "HANDOUTS_AI_ENGINE": "openai" if fake else "offline", "HANDOUTS_AI_MODEL": model,
              "HANDOUTS_AI_CACHE": "off", "HANDOUTS_AI_RETRIES": 0, "HANDOUTS_AI_BREAKER_FAILURES": 50,
              "HANDOUTS_AI_IMAGES": images, "HANDOUTS_AI_CALL_TIMEOUT": 600}
    if fake is not None:
        values.update({"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url})
    return load_settings(**values)


def _kept(answers: dict, deck: Deck) -> tuple[float, float]:
    said = []
    if "key_points" in answers:
        kp = answers["key_points"]
        said += kp.lecture + [p for s in kp.slides for p in s.points]
    if "vignettes" in answers:
        said += [f"{q.stem} {q.question} {q.explanation} " + " ".join(c.text for c in q.choices)
                 for q in answers["vignettes"].questions]
    found = terms(" ".join(said))
    every = set().union(*deck.facts.values())
    return len(every & found) / max(1, len(every)), len(deck.unspoken & found) / max(1, len(deck.unspoken))


def run_variant(variant: str, model: str, deck: Deck, fake: FakeOpenAI, reader: Reader, root: Path) -> Run:
    """The six tasks over one variant with one model, through the real service, engine and ledger."""
    folder = root / re.sub(r"[^\w.-]", "_", f"{model}-{variant}")
    folder.mkdir(parents=True)
    # Pictures go to every model here (HANDOUTS_AI_IMAGES=on) so that each one's price for them is shown; the
    # report says which models the default (auto) would send them to.
    settings = _settings(folder, model, fake, images="on")
    db = make_engine(settings.db_url)
    upgrade(db)
    sessions = make_sessionmaker(db)
    service = AIService(settings, sessions, engine=OpenAIEngine(settings), cache=NullCache())
    run = Run(variant, model)
    seen = len(fake.requests_to("/v1/chat/completions"))
    model_before = reader.ocr_seconds
    answers = {}
    started = time.perf_counter()
    for task in TASK_ORDER:
        try:
            answers[task] = service.run(task, deck.variants[variant], tenant="bench", stage="study")
        except AIError as e:
            run.missing.append(f"{task}: {e.message}")
    run.seconds = time.perf_counter() - started
    run.model_seconds = reader.ocr_seconds - model_before
    requests = fake.requests_to("/v1/chat/completions")[seen:]
    run.request_bytes = sum(len(r.body) for r in requests)
    run.pictures_sent = sum(len(image_parts(r.json())) for r in requests)
    with sessions() as session:
        n, tin, tout, cost = session.execute(select(func.count(), func.sum(AIRequest.tokens_in),
                                                    func.sum(AIRequest.tokens_out),
                                                    func.sum(AIRequest.cost_usd))).one()
    db.dispose()
    run.calls, run.tokens_in, run.tokens_out, run.cost_usd = int(n), int(tin or 0), int(tout or 0), float(cost or 0)
    run.tokens_image = sum(image_tokens(settings, model, *_size(p), p["image_url"]["detail"])
                           for r in requests for p in image_parts(r.json()))
    run.kept, run.kept_unspoken = _kept(answers, deck)
    return run


def _size(part: dict) -> tuple[int, int]:
    with Image.open(io.BytesIO(base64.b64decode(part["image_url"]["url"].split(",", 1)[1]))) as img:
        return img.size


def run_benchmark(minutes: float = 60, models=DEFAULT_MODELS) -> tuple[Deck, list[Run]]:
    """Build the deck, then run every variant with every model against the fake OpenAI server."""
    models = [m.strip() for m in models if m.strip()]
    with tempfile.TemporaryDirectory(prefix="handouts-study-") as tmp:
        root = Path(tmp)
        (root / "slides").mkdir()
        base = _settings(root, models[0])
        check_prices(base, models)
        deck = build_deck(minutes, root / "slides", base)
        reader = Reader()
        # The stand-in reads every picture once up front, so no request waits on its OCR (a real model's time
        # is not ours to measure) and each variant's seconds are the pipeline's own.
        for image in deck.variants[OURS].images.values():
            reader.look(image.data)
        runs = []
        with FakeOpenAI() as fake:
            fake.answer_chat_with(reader)
            for model in models:
                rule = load_settings()
                fake.count_usage(lambda w, h, detail, m=model: image_tokens(rule, m, w, h, detail))
                for variant in VARIANTS:
                    runs.append(run_variant(variant, model, deck, fake, reader, root / "runs"))
    return deck, runs


def format_report(minutes: float, deck: Deck, runs: list[Run]) -> str:
    per_hour = 60.0 / minutes
    lecture = deck.variants[PEER]
    every = set().union(*deck.facts.values())
    out = [f"lecture: {minutes:g} min, {len(lecture.slides)} showings of {len(deck.facts)} slides, "
           f"{len(every)} slide facts read by OCR ({len(deck.unspoken)} never spoken); OCR {deck.ocr_seconds:.1f} s "
           f"(with engine start-up), "
           f"pictures prepared in {deck.prepare_seconds:.2f} s ({deck.picture_bytes / 1024:.0f} KiB as sent)",
           "model: the stand-in reader on the fake OpenAI server (no key, no network); cost from the ledger", "",
           "| model | variant | calls | pictures sent | tokens in / h | of which pictures | tokens out / h | "
           "USD / lecture-hour | facts kept | unspoken facts kept | s (ours) | missing |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        out.append(f"| {r.model} | {r.variant} | {r.calls} | {r.pictures_sent} | {r.tokens_in * per_hour:,.0f} | "
                   f"{r.tokens_image * per_hour:,.0f} | {r.tokens_out * per_hour:,.0f} | "
                   f"{r.cost_usd * per_hour:.4f} | {100 * r.kept:.0f} % | {100 * r.kept_unspoken:.0f} % | "
                   f"{r.seconds - r.model_seconds:.2f} | {len(r.missing)} |")
    out.append("")
    defaults = load_settings()
    for model in dict.fromkeys(r.model for r in runs):
        auto = accepts_images(defaults, model)
        out.append(f"{model}: a {defaults.ai_image_max_side} px picture costs {typical_image_tokens(defaults, model)} "
                   f"input tokens at detail {defaults.ai_image_detail}; HANDOUTS_AI_IMAGES=auto "
                   f"{'sends' if auto else 'does not send'} pictures to it (limit "
                   f"{defaults.ai_image_max_tokens} tokens a picture)")
        peer = next(r for r in runs if r.model == model and r.variant == PEER)
        ours = next(r for r in runs if r.model == model and r.variant == OURS)
        out.append(f"{model}: ours vs peer (text-only prompts): facts kept {100 * ours.kept:.0f} % vs "
                   f"{100 * peer.kept:.0f} % ({ours.kept / max(peer.kept, 1e-9):.2f}x), unspoken facts "
                   f"{100 * ours.kept_unspoken:.0f} % vs {100 * peer.kept_unspoken:.0f} %, cost "
                   f"${ours.cost_usd * per_hour:.4f} vs ${peer.cost_usd * per_hour:.4f} per lecture-hour "
                   f"({ours.cost_usd / max(peer.cost_usd, 1e-12):.2f}x), input tokens "
                   f"{ours.tokens_in / max(peer.tokens_in, 1):.2f}x")
    problems = [f"{r.model} {r.variant}: {m}" for r in runs for m in r.missing]
    if problems:
        out += ["", "missing answers:"] + [f"  {p}" for p in problems]
    return "\n".join(out)


@quiet_logs()
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS))
    args = ap.parse_args(argv)
    try:
        deck, runs = run_benchmark(args.minutes, args.models.split(","))
    except OcrUnavailable as e:
        print(f"the benchmark reads slide text with OCR and none could start: {e.message}", file=sys.stderr)
        return 1
    except HandoutsError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2
    print(format_report(args.minutes, deck, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
