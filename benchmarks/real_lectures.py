"""Study materials from real lecture slides: each deck made into a lecture with a transcript, run through the pipeline.

    python -m benchmarks.real_lectures [--deck PATH ...] [--variants clean,pip,room] [--size 1280x720] [--fps 15]

Without `--deck` the three public decks of SOURCES are read from benchmarks/out/real-decks/ (git-ignored; the
PDFs are not in the repository: how to get them is in benchmarks/README.md, section "Real lectures").

Per deck: every page rendered as benchmarks.real_deck does (pypdfium2, letterboxed), shown for 15-75 s in a
seeded order with returns to earlier pages; the transcript is what a lecturer reading the slide aloud says,
the page's own text layer spread over the time it is on screen, written as an .srt file. The clean video and
its transcript go through `handouts make` in this process, the AI on the fake OpenAI server of tests/fakes
(127.0.0.1), answering every request with random JSON that fits the request's schema, as a model under strict
structured outputs may. Reported per lecture:

- schema acceptance: answers the service accepted first time over answers received (the ledger's outcomes),
  every task of the study stage (target 100 %);
- duplicate questions: practice questions alike an earlier one by pipeline.ai.dedupe (target 0);
- answer-key slides: the slide numbers the questions and the study table cite that the handout prints (100 %);
- OCR: seconds the slides stage spends reading slide text, and that per lecture-hour of video;
- title: the handout's title and where it came from, next to the deck's own (its PDF Title, else the opening
  page's first lines), with the word-overlap F1 of the two;
- slide F1 per variant: slide changes (+-2 s, benchmarks.slides.score) found in the clean video (by the
  pipeline), with a speaker picture-in-picture, and filmed by a room camera (pipeline.synth's room view), the
  last two by the slide finder alone.

Exits 1 when a lecture misses one of the first three targets, 2 when a deck is missing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import quiet_logs
from benchmarks.real_deck import encode, plan, render_pages
from benchmarks.slides import score

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / "out" / "real-decks"
OUT = ROOT / "benchmarks" / "out" / "real-lectures"
VARIANTS = ("clean", "pip", "room")


@dataclass(frozen=True)
class DeckSource:
    """Where a public deck comes from: the file name it is cached under, its repository, path and commit."""

    file: str
    repo: str
    path: str
    commit: str
    course: str


SOURCES = (
    DeckSource("turing-mathml-lecture01.pdf", "alan-turing-institute/mathematics-of-ml-course",
               "lectures/lecture01.pdf", "7e0aa0918ba2fec644160689c50767ce04439291",
               "Mathematics of Machine Learning summer school (P. Rebeschini, Oxford), 2021"),
    DeckSource("epfl-optml-lecture02.pdf", "epfml/OptML_course", "slides/lecture02.pdf",
               "5afb6f940ab77425af7b201922048c43a06fe9e8",
               "Optimization for Machine Learning CS-439 (N. Flammarion, EPFL), 2026"),
    DeckSource("sbu-ams595-lecture01.pdf", "compdatasci/ams595-notes", "lectures/lecture01.pdf",
               "6543ed8d6ab958bff058c19f703f56067468d939",
               "AMS 595 Fundamentals of Computing (X. Jiao, Stony Brook), 2019"),
)


# ---- the deck's words: its transcript and its own title ----------------------------------------------------------

_COUNTER = re.compile(r"^\s*\d+\s*(/\s*\d+)?\s*$")
_TEX_LENGTH = re.compile(r"\[?-?\d*\.?\d+(?:mm|cm|pt|em|ex)\]?")


def page_texts(pdf: Path) -> list[str]:
    """The text layer of every page, one line per text line, page counters left out."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    texts = []
    for i in range(len(doc)):
        raw = doc[i].get_textpage().get_text_range()
        lines = [" ".join(x.split()) for x in raw.replace("\r", "\n").split("\n")]
        texts.append("\n".join(x for x in lines if x and not _COUNTER.match(x)))
    return texts


def deck_own_title(pdf: Path) -> str:
    """The deck's title as its author set it: the PDF's Title (TeX spacing left out), else page 1's first lines."""
    import pypdfium2 as pdfium

    meta = (pdfium.PdfDocument(str(pdf)).get_metadata_dict().get("Title") or "").strip()
    meta = " ".join(_TEX_LENGTH.sub(" ", meta).split())
    if meta:
        return meta
    first = page_texts(pdf)[0].split("\n") if len(pdfium.PdfDocument(str(pdf))) else []
    return " ".join(first[:2])


def title_f1(found: str, own: str) -> float:
    """Word-overlap F1 of two titles (lower case, words and numbers, each word once)."""
    a, b = set(re.findall(r"\w+", found.casefold())), set(re.findall(r"\w+", own.casefold()))
    if not a or not b:
        return 0.0
    common = len(a & b)
    return 2 * common / (len(a) + len(b))


@dataclass
class Cue:
    start: float
    end: float
    text: str


def transcript(texts: list[str], schedule: list[tuple[int, float]], words_per_cue: int = 12) -> list[Cue]:
    """What a lecturer reading each page aloud says while it is on screen, spread evenly over the showing."""
    cues, t = [], 0.0
    for page, seconds in schedule:
        words = texts[page].split() or ["This", "slide", "shows", "a", "figure."]
        pieces = [" ".join(words[i:i + words_per_cue]) for i in range(0, len(words), words_per_cue)]
        step = seconds / len(pieces)
        for k, piece in enumerate(pieces):
            start = t + k * step
            cues.append(Cue(round(start, 3), round(start + step * 0.9, 3), piece))
        t += seconds
    return cues


def _stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def write_srt(cues: list[Cue], path: Path) -> Path:
    path.write_text("".join(f"{i}\n{_stamp(c.start)} --> {_stamp(c.end)}\n{c.text}\n\n"
                            for i, c in enumerate(cues, 1)), encoding="utf-8")
    return path


# ---- one lecture -------------------------------------------------------------------------------------------------

@dataclass
class LectureReport:
    name: str
    pages: int
    slides: int                          # distinct slides of the ground truth (overlay steps are one)
    minutes: float
    title_deck: str = ""
    title_found: str = ""
    title_source: str = ""
    title_asked_apart: bool = False      # the title task asked after the pipeline (the deck's title won there)
    title_f1: float = 0.0
    answers: dict[str, list[int]] = field(default_factory=dict)   # task -> [accepted first time, received]
    tasks_asked: int = 0
    questions: int = 0
    duplicate_questions: int = 0
    cited: int = 0
    cited_in_handout: int = 0
    handout_slides: int = 0
    ocr_seconds: float = 0.0
    ocr_slides: int = 0
    pipeline_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    f1: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)  # variant -> P, R, F1, found
    problems: list[str] = field(default_factory=list)

    @property
    def acceptance(self) -> float:
        ok, got = sum(a[0] for a in self.answers.values()), sum(a[1] for a in self.answers.values())
        return ok / got if got else 0.0

    @property
    def cited_share(self) -> float:
        return self.cited_in_handout / self.cited if self.cited else 1.0

    @property
    def ocr_per_hour(self) -> float:
        return self.ocr_seconds * 60.0 / self.minutes if self.minutes else 0.0


@contextmanager
def _environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _timed_ocr(spent: list[tuple[float, int]]):
    """Time every call of the slides stage's OCR (read_slides) while the pipeline runs: (seconds, slides read)."""
    from pipeline.stages import slides as stage

    real = stage.read_slides

    def timed(*args, **kwargs):
        started = time.perf_counter()
        report = real(*args, **kwargs)
        spent.append((time.perf_counter() - started, len(report.texts)))
        return report

    stage.read_slides = timed
    try:
        yield
    finally:
        stage.read_slides = real


def _ledger(db: Path) -> tuple[dict[str, list[int]], dict[str, dict], dict[str, float]]:
    """From the job's database: task -> [answers accepted first time, answers received] (the cost ledger, cache
    hits left out), and each stage's output and seconds."""
    answers: dict[str, list[int]] = {}
    with sqlite3.connect(db) as c:
        for name, outcome in c.execute("SELECT prompt_name, outcome FROM ai_requests WHERE NOT cached"):
            row = answers.setdefault(name or "?", [0, 0])
            row[1] += 1
            row[0] += outcome == "ok"
        runs = c.execute("SELECT stage, output, seconds FROM stage_runs WHERE status = 'succeeded' "
                         "ORDER BY id").fetchall()
    outputs = {stage: json.loads(output) if output else {} for stage, output, _ in runs}
    return answers, outputs, {stage: float(seconds or 0) for stage, _, seconds in runs}


def _duplicates(questions: list[dict]) -> int:
    from pipeline.ai.dedupe import alike

    texts = [f"{q.get('stem', '')} {q.get('question', '')}" for q in questions]
    return sum(any(alike(texts[i], texts[j]) for j in range(i)) for i in range(len(texts)))


def ask_title(outputs: dict) -> None:
    """The title task on the lecture the study stage saw, through the real service, engine and ledger.

    The study stage does not ask it when the deck states its title (that title wins); asking it here still puts
    its schema to the test."""
    from pipeline.ai.service import AIService
    from pipeline.db import make_engine, make_sessionmaker
    from pipeline.settings import load_settings
    from pipeline.stages.study import lecture_input
    from pipeline.titles import non_ai_title
    from pipeline.types import Showing

    settings = load_settings()
    showings = [Showing.from_json(d) for d in outputs["align"]["showings"]]
    hint, _ = non_ai_title({}, outputs)
    db = make_engine(settings.db_url)
    service = AIService(settings, make_sessionmaker(db))
    try:
        service.run("title", lecture_input(showings, hint, settings.caption_language), tenant="local",
                    stage="study")
    finally:
        client = getattr(service.engine, "client", None)
        if client is not None:
            client.close()
        db.dispose()


def run_pipeline(video: Path, srt: Path, work: Path, fake, report: LectureReport) -> tuple[dict, dict]:
    """`handouts make` on the lecture against the fake; fills the study checks, returns slides.json and study."""
    from handouts.cli import main as cli
    from pipeline.ai.breaker import reset_breakers
    from pipeline.titles import titled

    data, out = work / "data", work / "handout"
    env = {"HANDOUTS_DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data / 'handouts.db'}",
           "OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url, "HANDOUTS_AI_ENGINE": "openai",
           "HANDOUTS_AI_RETRIES": "0"}
    spent: list[tuple[float, int]] = []
    reset_breakers()
    started = time.perf_counter()
    with _environment(env), _timed_ocr(spent), redirect_stdout(io.StringIO()):
        code = cli(["make", str(video), "-o", str(out), "--captions", str(srt)])
    report.pipeline_seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"handouts make failed on {video.name} (exit {code})")
    report.ocr_seconds = sum(seconds for seconds, _ in spent)
    report.ocr_slides = sum(slides for _, slides in spent)
    _, outputs, _ = _ledger(data / "handouts.db")
    if "title" not in ((outputs.get("study") or {}).get("results") or {}):
        with _environment(env):
            ask_title(outputs)
        report.title_asked_apart = True
    report.answers, outputs, report.stage_seconds = _ledger(data / "handouts.db")
    report.tasks_asked = len(report.answers)
    ai_title = (((outputs.get("study") or {}).get("results") or {}).get("title") or {}).get("title")
    _, report.title_source = titled({}, outputs, ai_title)
    shown = json.loads((out / "slides.json").read_text())
    study_files = list(out.glob("*-study.json"))
    if not study_files:
        raise RuntimeError(f"handouts make wrote no study materials for {video.name}")
    study = json.loads(study_files[0].read_text())
    questions = (study.get("vignettes") or {}).get("questions") or []
    report.questions, report.duplicate_questions = len(questions), _duplicates(questions)
    # the handout numbers distinct slides: a return to an earlier slide keeps that slide's number
    numbers = set(range(1, sum(s.get("repeat_of") is None for s in shown["slides"]) + 1))
    cited = [n for q in questions for n in q.get("slides", [])]
    cited += [n for r in (study.get("study_table") or {}).get("rows") or [] for n in r.get("slides", [])]
    report.handout_slides, report.cited = len(numbers), len(cited)
    report.cited_in_handout = sum(n in numbers for n in cited)
    listing = json.loads((out / "handouts-files.json").read_text())
    report.title_found = listing.get("title") or ""
    return shown, study


def _starts(shown: dict) -> list[float]:
    """Change times of the handout's showings (every showing after the first, returns included)."""
    return sorted(float(s["start"]) for s in shown["slides"])[1:]


def run_lecture(pdf: Path, work: Path, fake, variants=VARIANTS, size=(1280, 720), fps: int = 15,
                seed: int = 1) -> LectureReport:
    """Render, encode, transcribe and run one deck; every figure of its row."""
    from pipeline.slides import detect_slides

    pages = render_pages(pdf, size)
    rng = random.Random(seed)
    schedule, truth, distinct = plan(pages, rng)
    report = LectureReport(pdf.stem, len(pages), distinct, sum(d for _, d in schedule) / 60)
    report.title_deck = deck_own_title(pdf)
    srt = write_srt(transcript(page_texts(pdf), schedule), work / f"{pdf.stem}.srt")
    for variant in variants:
        video = work / f"{pdf.stem}-{variant}.mp4"
        encode(pages, schedule, video, fps, variant == "pip", False, random.Random(seed + 1), variant == "room")
        if variant == "clean":
            shown, _ = run_pipeline(video, srt, work / "run", fake, report)
            found = _starts(shown)
        else:
            found = [s.start for s in detect_slides(video, work / f"slides-{variant}")[1:]]
        p, r, f1, _ = score(found, truth)
        report.f1[variant] = (p, r, f1, len(found))
    report.title_f1 = title_f1(report.title_found, report.title_deck)
    if report.acceptance < 1.0:
        report.problems.append("an answer within the schema was rejected")
    return report


def run_benchmark(decks: list[Path], variants=VARIANTS, size=(1280, 720), fps: int = 15, seed: int = 1,
                  keep: Path | None = None) -> list[LectureReport]:
    """Every deck through run_lecture, the fake OpenAI answering within each request's schema."""
    from tests.fakes.openai_server import FakeOpenAI

    for deck in decks:
        if not deck.is_file():
            raise FileNotFoundError(f"no deck at {deck}: give PDFs with --deck, or put the public decks of "
                                    f"benchmarks/README.md (section 'Real lectures') in {CACHE}")
    if "clean" not in variants:
        raise ValueError("the clean variant is the one the pipeline runs on: keep it in --variants")
    reports = []
    with tempfile.TemporaryDirectory(prefix="handouts-real-") as tmp, FakeOpenAI() as fake:
        fake.answer_within_schema(seed)
        for deck in decks:
            work = (keep or Path(tmp)) / deck.stem
            work.mkdir(parents=True, exist_ok=True)
            reports.append(run_lecture(deck, work, fake, variants, size, fps, seed))
    return reports


def format_report(reports: list[LectureReport], variants=VARIANTS) -> str:
    head = ["lecture", "pages", "slides (handout / truth)", "min", "schema accepted", "questions", "duplicates",
            "answer-key slides in handout", "OCR s", "OCR s / lecture-hour"] + [f"F1 {v}" for v in variants]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in reports:
        ok, got = sum(a[0] for a in r.answers.values()), sum(a[1] for a in r.answers.values())
        cells = [r.name, str(r.pages), f"{r.handout_slides} / {r.slides}", f"{r.minutes:.1f}",
                 f"{100 * r.acceptance:.0f} % ({ok}/{got}, {r.tasks_asked} tasks)", str(r.questions),
                 str(r.duplicate_questions), f"{100 * r.cited_share:.0f} % ({r.cited_in_handout}/{r.cited})",
                 f"{r.ocr_seconds:.1f}", f"{r.ocr_per_hour:.0f}"]
        cells += [f"{r.f1[v][2]:.2f} (P {r.f1[v][0]:.2f} R {r.f1[v][1]:.2f})" if v in r.f1 else "-"
                  for v in variants]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "| lecture | deck's own title | handout title | from | word F1 | pipeline s | slides stage s |",
            "|---|---|---|---|---|---|---|"]
    for r in reports:
        out.append(f"| {r.name} | {r.title_deck} | {r.title_found} | {r.title_source} | {r.title_f1:.2f} | "
                   f"{r.pipeline_seconds:.1f} | {r.stage_seconds.get('slides', 0):.1f} |")
    for r in reports:
        if r.title_asked_apart:
            out.append(f"{r.name}: the deck's title won, so the title task was asked after the pipeline")
    for r in reports:
        for task, (ok, got) in sorted(r.answers.items()):
            if ok < got:
                out.append(f"{r.name}: {task} accepted {ok} of {got} answers")
        out += [f"{r.name}: {p}" for p in r.problems]
    return "\n".join(out)


@quiet_logs()
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.real_lectures", description=__doc__.splitlines()[0])
    ap.add_argument("--deck", action="append", type=Path, default=[],
                    help=f"a PDF slide deck (repeatable); default: the decks of SOURCES in {CACHE}")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the videos, transcripts and handouts in this folder")
    args = ap.parse_args(argv)
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant {unknown[0]!r}: choose from {', '.join(VARIANTS)}")
    try:
        size = tuple(int(x) for x in args.size.lower().split("x"))
        if len(size) != 2 or min(size) < 16:
            raise ValueError
    except ValueError:
        ap.error(f"--size {args.size!r}: give WIDTHxHEIGHT, e.g. 1280x720")
    decks = args.deck or [CACHE / s.file for s in SOURCES]
    try:
        reports = run_benchmark(decks, variants, size, args.fps, args.seed, args.keep)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_report(reports, variants))
    return 0 if all(r.acceptance == 1.0 and not r.duplicate_questions and r.cited_share == 1.0
                    for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
