"""Slide text (OCR) on real decks: CPU seconds a slide and a lecture-hour, where they go, and accuracy.

    python -m benchmarks.ocr_real [--deck my.pdf ...] [--size 1280x720] [--repeat 2] [--peers before]

The pages of each deck (by default the three public decks of benchmarks.real_lectures, from
benchmarks/out/real-decks/) are rendered as benchmarks.real_deck renders a lecture video's frames and saved
as PNG slide images. Ours is `pipeline.slides.ocr.read_slides` with the default options (two engines on two
cores, the tuned RapidOCR settings, the text cache off), engines built before the clock starts. Peer `before`
is ours without `RAPID_TUNING` (the settings of the run that gave benchmarks/README.md's first real-lecture
figures), read in turn with ours in every repeat. Figures, each the median over the repeats:

- CPU s a slide: CPU time of this process (all threads) over the pages read; wall time beside it;
- a lecture-hour: CPU s a slide times the distinct slides an hour of the benchmark's schedule for the deck
  (benchmarks.real_deck.plan with the seed, as benchmarks.real_lectures shows them), and that CPU over the two
  cores, which is the wall time a quiet 2-core machine would take;
- where it goes: one engine on one thread reads every page once more, with the CPU time of its text detection
  and of its recognition taken apart (thread CPU time), the lines recognised and their width once scaled to
  the recogniser's 48-px height and padded to its least width of 320 px;
- CER against the page's own PDF text layer (pypdfium2): an upper bound on the OCR's error, since the text
  layer of a maths deck carries symbols in another order than they are drawn.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from benchmarks.ocr import cer
from benchmarks.real_deck import plan, render_pages
from benchmarks.real_lectures import CACHE, SOURCES, page_texts
from pipeline.slides.ocr import (RAPID_TUNING, EnginePool, OcrOptions, OcrUnavailable, RapidEngine,
                                 _threads_per_engine, engine_pool, rapid_params, read_image, read_slides)
from pipeline.slides.ocr_layout import prominent_text

BUDGET = 60.0            # seconds of OCR a lecture-hour on 2 cores
REC_HEIGHT, REC_MIN_WIDTH = 48, 320


@dataclass
class Reader:
    name: str
    opts: OcrOptions
    pool: EnginePool
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    text: dict[str, list[str]] = field(default_factory=dict)
    title: dict[str, str] = field(default_factory=dict)


@dataclass
class Split:
    """One engine on one thread, every page once: CPU seconds of detection, recognition and all of it."""

    pages: int = 0
    det: float = 0.0
    rec: float = 0.0
    total: float = 0.0
    lines: int = 0
    width: float = 0.0       # recogniser input width, px, summed over lines


@dataclass
class Deck:
    name: str
    pages: int
    distinct: int
    minutes: float
    truth: list[str]
    folder: Path
    split: Split = field(default_factory=Split)

    @property
    def slides_an_hour(self) -> float:
        return self.distinct * 60.0 / self.minutes

    def images(self) -> list[str]:
        return [f"p{i:03d}.png" for i in range(self.pages)]


def prepare(pdf: Path, size: tuple[int, int], seed: int, root: Path) -> Deck:
    pages = render_pages(pdf, size)
    schedule, _, distinct = plan(pages, random.Random(seed))
    folder = root / pdf.stem
    folder.mkdir()
    for i, page in enumerate(pages):
        Image.fromarray(page).save(folder / f"p{i:03d}.png")
    return Deck(pdf.stem, len(pages), distinct, sum(d for _, d in schedule) / 60.0, page_texts(pdf), folder)


def measure(readers: list[Reader], decks: list[Deck], repeat: int) -> None:
    """Each repeat reads every deck with every reader in turn, the order reversed every other time."""
    for r in readers:
        r.pool.prepare(max(1, r.opts.workers))
    for k in range(repeat):
        for deck in decks:
            for r in (readers if k % 2 == 0 else readers[::-1]):
                t, c = time.perf_counter(), time.process_time()
                report = read_slides(deck.folder, deck.images(), r.opts, pool=r.pool, cache=None)
                r.wall.setdefault(deck.name, []).append(time.perf_counter() - t)
                r.cpu.setdefault(deck.name, []).append(time.process_time() - c)
                r.text[deck.name] = [report.texts[im].text if im in report.texts else "" for im in deck.images()]
                first = report.texts.get(deck.images()[0])
                r.title[deck.name] = prominent_text(list(first.lines)) if first else ""


def split_time(decks: list[Deck], opts: OcrOptions) -> None:
    """Detection and recognition CPU of one single-threaded engine, wrapped around the library's two models."""
    engine = RapidEngine(1, opts.max_side, opts.min_confidence)
    ocr = engine._ocr
    det, rec = ocr._load_det_model(), ocr._load_rec_model()
    current: list[Split] = [Split()]

    def timed(model, kind: str):
        def call(arg):
            t = time.thread_time()
            out = model(arg)
            spent = time.thread_time() - t
            s = current[0]
            if kind == "det":
                s.det += spent
            else:
                s.rec += spent
                crops = arg.img if isinstance(arg.img, list) else [arg.img]
                s.lines += len(crops)
                s.width += sum(max(REC_MIN_WIDTH, REC_HEIGHT * c.shape[1] / c.shape[0]) for c in crops)
            return out
        return call

    ocr.text_det, ocr.text_rec = timed(det, "det"), timed(rec, "rec")
    try:
        for deck in decks:
            current[0] = deck.split
            t = time.thread_time()
            for im in deck.images():
                with Image.open(deck.folder / im) as img:
                    read_image(engine, img, opts.max_side)
            deck.split.total = time.thread_time() - t
            deck.split.pages = deck.pages
    finally:
        ocr.text_det, ocr.text_rec = det, rec


def report(readers: list[Reader], decks: list[Deck], repeat: int) -> str:
    ours = readers[0]
    out = [f"median of {repeat} runs; CPU = this process, all threads; budget {BUDGET:.0f} s a lecture-hour "
           "on 2 cores", "",
           "| lecture | reader | pages | slides / hour | CPU s / slide | wall s / slide | CPU s / lecture-hour | "
           "CPU / 2 cores s / lecture-hour | wall s / lecture-hour | CER vs text layer | CPU / ours | title |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for deck in decks:
        base = statistics.median(ours.cpu[deck.name]) / deck.pages
        for r in readers:
            cpu = statistics.median(r.cpu[deck.name]) / deck.pages
            wall = statistics.median(r.wall[deck.name]) / deck.pages
            rate = deck.slides_an_hour
            err = cer("\n".join(deck.truth), "\n".join(r.text[deck.name]))
            out.append(f"| {deck.name} | {r.name} | {deck.pages} | {rate:.0f} | {cpu:.2f} | {wall:.2f} | "
                       f"{cpu * rate:.0f} | {cpu * rate / 2:.0f} | {wall * rate:.0f} | {100 * err:.1f} % | "
                       f"{cpu / base:.2f} | {r.title[deck.name]} |")
    out += ["", "One engine, one thread, every page once (ours):", "",
            "| lecture | CPU s / slide | detection | recognition | other | lines / slide | "
            "recogniser width px / slide | recognition ms / 1000 px |", "|---|---|---|---|---|---|---|---|"]
    for deck in decks:
        s, n = deck.split, max(1, deck.split.pages)
        other = s.total - s.det - s.rec
        out.append(f"| {deck.name} | {s.total / n:.2f} | {s.det / n:.2f} ({100 * s.det / s.total:.0f} %) | "
                   f"{s.rec / n:.2f} ({100 * s.rec / s.total:.0f} %) | {other / n:.2f} | {s.lines / n:.1f} | "
                   f"{s.width / n:.0f} | {1000 * s.rec / max(1.0, s.width / 1000):.1f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when our engine cannot start, 2 on a deck that is missing."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--deck", action="append", type=Path, help="a PDF (repeatable); default: the three public decks")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1, help="the schedule's seed, as benchmarks.real_lectures")
    ap.add_argument("--peers", default="before", help="'before' (ours untuned) or '' for ours alone")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    pdfs = args.deck or [CACHE / s.file for s in SOURCES]
    missing = [str(p) for p in pdfs if not p.is_file()]
    if missing:
        print(f"deck not found: {', '.join(missing)} (see benchmarks/README.md, section Real lectures)",
              file=sys.stderr)
        return 2
    ours = OcrOptions()
    try:
        readers = [Reader("ours", ours, engine_pool(ours))]
    except OcrUnavailable as exc:
        print(f"OCR engine unavailable: {exc}", file=sys.stderr)
        return 1
    if "before" in args.peers.split(","):
        threads = _threads_per_engine(ours.workers)
        untuned = {k: v for k, v in rapid_params(threads, ours.max_side, ours.min_confidence).items()
                   if k not in RAPID_TUNING}
        readers.append(Reader("before tuning", ours, EnginePool(lambda: RapidEngine(0, 0, 0.0, params=untuned),
                                                                limit=ours.workers)))
    with tempfile.TemporaryDirectory() as tmp:
        decks = [prepare(p, (w, h), args.seed, Path(tmp)) for p in pdfs]
        measure(readers, decks, max(1, args.repeat))
        split_time(decks, ours)
        print(report(readers, decks, max(1, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
