"""Slide text (OCR): time per distinct slide and per lecture-hour, character accuracy, titles found.

    python -m benchmarks.ocr [--slides 60] [--size 1920x1080] [--repeat 3] [--peers defaults,before,full,tesseract]

Slides are drawn here with real text in DejaVu (the sentences of benchmarks.ai_cost's membrane-transport
lecture), in three layouts (title bar, plain heading, dark theme) with a small logo line in the top corner, a
course footer and a page number, and a title slide first; so the known text of every slide is exact. Ours is
`pipeline.slides.ocr.read_slides` with the default options (downscaled to 960 px, two engines on two cores,
the tuned RapidOCR settings). Peers, measured in the same run on the same images: `defaults` = RapidOCR with
every setting at the library's default (one engine, as `RapidOCR()` is used), fed the same 960-px images;
`before` = ours without the tuning (`RAPID_TUNING`: recognition in batches of 6, no ONNX Runtime memory arena);
`full` = ours fed the full-resolution image; `tesseract` = Tesseract when a `tesseract` program is on PATH.
Every row reads with the text cache off; one more line times a re-run with the cache warm (hashing only).
Times are the median of `--repeat` runs (the machine is shared); engines are built before the clock starts
(their start-up is printed apart), since a worker keeps its engines between jobs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from benchmarks.ai_cost import SECTIONS
from pipeline.slides.ocr import (RAPID_TUNING, EnginePool, OcrCache, OcrOptions, OcrReport, OcrUnavailable,
                                 RapidEngine, _threads_per_engine, deck_title, engine_pool, make_engine,
                                 rapid_params, read_slides)
from pipeline.types import Showing

FONTS = Path(__file__).resolve().parent.parent / "pipeline" / "fonts"
HEADINGS = ("The plasma membrane", "Simple diffusion", "Osmosis and tonicity", "Channels and carriers",
            "Facilitated diffusion", "The sodium-potassium pump", "Secondary active transport",
            "Vesicular transport", "Membrane potential", "Clinical correlations")
DECK_TITLE = "Lecture 7: Membrane Transport"


@dataclass(frozen=True)
class DrawnSlide:
    """A slide drawn with known text: its title, body lines, and the small print that is not its title."""

    title: str
    body: tuple[str, ...]
    footer: str = "PHYS-201 Human Physiology"
    page: str = ""
    logo: str = "NORTHFIELD UNIVERSITY"
    layout: str = "bar"       # bar | plain | dark | cover (a title slide: big centred title)

    @property
    def text(self) -> str:
        """Every line drawn, top to bottom, as OCR should read it."""
        lines = [self.logo, self.title, *self.body, f"{self.footer} {self.page}".strip()]
        return "\n".join(line for line in lines if line)


def _font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), px)


def draw_slide(slide: DrawnSlide, size: tuple[int, int] = (1280, 720)) -> Image.Image:
    """The slide as a picture: title large, body as bullets, logo top right, footer and page number at the bottom."""
    w, h = size
    dark = slide.layout == "dark"
    bg, ink, title_ink = ((28, 34, 52), (230, 230, 230), (250, 200, 90)) if dark else \
        ((255, 255, 255), (30, 30, 30), (20, 45, 100))
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    small = _font(max(9, h // 48))
    if slide.layout == "bar":
        d.rectangle((0, 0, w, int(h * 0.17)), fill=(31, 73, 125))
        title_ink = (255, 255, 255)
    if slide.logo:
        d.text((w * 0.97 - d.textlength(slide.logo, font=small), h * 0.025), slide.logo, font=small,
               fill=(200, 200, 200) if slide.layout == "bar" or dark else (120, 120, 120))
    if slide.layout == "cover":
        big = _font(h // 12, bold=True)
        d.text(((w - d.textlength(slide.title, font=big)) / 2, h * 0.36), slide.title, font=big, fill=title_ink)
        sub = _font(h // 26)
        for j, line in enumerate(slide.body):
            d.text(((w - d.textlength(line, font=sub)) / 2, h * (0.52 + 0.08 * j)), line, font=sub, fill=ink)
    else:
        d.text((w * 0.05, h * 0.05), slide.title, font=_font(h // 15, bold=True), fill=title_ink)
        body = _font(h // 27)
        for j, line in enumerate(slide.body):
            y = h * (0.25 + 0.085 * j)
            r = max(2, h // 160)
            d.ellipse((w * 0.055 - r, y + h / 54 - r, w * 0.055 + r, y + h / 54 + r), fill=ink)
            d.text((w * 0.075, y), line, font=body, fill=ink)
    d.text((w * 0.03, h * 0.945), slide.footer, font=small, fill=(130, 130, 130))
    if slide.page:
        d.text((w * 0.95, h * 0.945), slide.page, font=small, fill=(130, 130, 130))
    return img


def _wrap(sentence: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in sentence.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return lines + ([cur] if cur else [])


def make_deck(count: int) -> list[DrawnSlide]:
    """A cover slide and count-1 content slides of up to seven lines each, layouts taking turns."""
    deck = [DrawnSlide(DECK_TITLE, ("PHYS-201 Human Physiology, week 3", "Dr. Ada Example"), layout="cover",
                       page="1")]
    layouts = ("bar", "plain", "dark")
    for i in range(1, count):
        section = (i - 1) * len(SECTIONS) // max(1, count - 1)
        pool = SECTIONS[section]
        body: list[str] = []
        k = i
        while len(body) < 5:
            body += _wrap(pool[k % len(pool)], 58)
            k += 3
        deck.append(DrawnSlide(f"{HEADINGS[section % len(HEADINGS)]} ({i})", tuple(body[:7]),
                               page=str(i + 1), layout=layouts[i % 3]))
    return deck


def normalise(text: str) -> str:
    """Text as compared: NFKC, bullet marks at line starts dropped, whitespace collapsed."""
    out = []
    for line in unicodedata.normalize("NFKC", text).splitlines():
        out.append(line.strip().lstrip("•·●○◦-–*").strip())
    return " ".join(" ".join(out).split())


def cer(truth: str, read: str) -> float:
    """Character error rate: edit distance between the normalised texts over the truth's length."""
    a, b = normalise(truth), normalise(read)
    if not a:
        return 0.0 if not b else 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1] / len(a)


@dataclass
class Figures:
    name: str
    seconds: float          # median wall time for all slides
    per_slide: float
    cpu_per_slide: float    # median CPU time of this process (every thread), per slide
    cer: float              # over all slides' text
    titles: float           # share of slides whose title is read exactly (after normalising)
    deck_title: str


@dataclass
class Reader:
    """One row to measure: how slides are fed (`opts`) and the engines that read them."""

    name: str
    opts: OcrOptions
    pool: EnginePool
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    report: OcrReport | None = None


def _measure_all(readers: list[Reader], folder: Path, deck: list[DrawnSlide], repeat: int) -> list[Figures]:
    """Each repeat reads the deck once with every reader in turn (the order reversed every other time), so
    a burst of load elsewhere on the machine falls on all rows alike."""
    images = [f"s{i:03d}.png" for i in range(len(deck))]
    for r in readers:
        r.pool.prepare(max(1, min(r.opts.workers, len(deck))))
    for k in range(repeat):
        for r in (readers if k % 2 == 0 else readers[::-1]):
            t, c = time.perf_counter(), time.process_time()
            r.report = read_slides(folder, images, r.opts, pool=r.pool, cache=None)
            r.times.append(time.perf_counter() - t)
            r.cpu.append(time.process_time() - c)
    truth_all = "\n".join(s.text for s in deck)
    out = []
    for r in readers:
        texts = r.report.texts
        read_all = "\n".join(texts[im].text for im in images if im in texts)
        titles = sum(normalise(texts[im].title) == normalise(s.title) for im, s in zip(images, deck) if im in texts)
        showings = [Showing(i * 60.0, (i + 1) * 60.0, im, slide_text=texts.get(im)) for i, im in enumerate(images)]
        secs = statistics.median(r.times)
        out.append(Figures(r.name, secs, secs / len(deck), statistics.median(r.cpu) / len(deck),
                           cer(truth_all, read_all), titles / len(deck), deck_title(showings)))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the figures for ours and each peer found; exit 1 when our engine cannot start."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slides", type=int, default=60, help="distinct slides (60 is about a lecture-hour)")
    ap.add_argument("--size", default="1920x1080", help="slide image size, as a capture would give it")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers", default="defaults,before", help="any of defaults,before,full,tesseract")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    deck = make_deck(max(2, args.slides))
    ours = OcrOptions()
    try:
        t = time.perf_counter()
        make_engine(ours)
        startup = time.perf_counter() - t
    except OcrUnavailable as exc:
        print(f"OCR engine unavailable: {exc}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, slide in enumerate(deck):
            draw_slide(slide, (w, h)).save(folder / f"s{i:03d}.png")
        peers = [p.strip() for p in args.peers.split(",") if p.strip()]
        unknown = set(peers) - {"defaults", "before", "full", "tesseract"}
        if unknown:
            print(f"unknown peers: {', '.join(sorted(unknown))} (choose from defaults,before,full,tesseract)",
                  file=sys.stderr)
            return 2
        readers = [Reader("ours (960 px, 2 engines, tuned)", ours, engine_pool(ours))]
        if "defaults" in peers:
            pool = EnginePool(lambda: RapidEngine(0, 0, 0.0, params={"Global.log_level": "warning"}))
            readers.append(Reader("RapidOCR library defaults (1 engine)", OcrOptions(engine="rapidocr", workers=1),
                                  pool))
        if "before" in peers:
            threads = _threads_per_engine(ours.workers)
            untuned = {k: v for k, v in rapid_params(threads, ours.max_side, ours.min_confidence).items()
                       if k not in RAPID_TUNING}
            pool = EnginePool(lambda: RapidEngine(0, 0, 0.0, params=untuned))
            readers.append(Reader("ours untuned (rec batch 6, no arena)", ours, pool))
        if "full" in peers:
            full = OcrOptions(max_side=max(w, h), workers=ours.workers)
            readers.append(Reader(f"ours fed full {w}x{h}", full, engine_pool(full)))
        if "tesseract" in peers:
            try:
                tess = OcrOptions(engine="tesseract", max_side=max(w, h), workers=ours.workers)
                readers.append(Reader("tesseract, full size", tess, engine_pool(tess)))
            except OcrUnavailable as exc:
                print(f"peer tesseract skipped: {exc}")
        rows = _measure_all(readers, folder, deck, args.repeat)
        images = [f"s{i:03d}.png" for i in range(len(deck))]
        warm = OcrCache()
        read_slides(folder, images, ours, cache=warm)
        t = time.perf_counter()
        rerun = read_slides(folder, images + images, ours, cache=warm)  # every slide twice, all known
        rerun_s = time.perf_counter() - t
    print(f"{len(deck)} distinct slides at {w}x{h}; engine start-up {startup:.2f} s; median of {args.repeat} runs\n")
    base = rows[0]
    print("| reader | s total | s / slide | s / lecture-hour (60 slides) | CPU s / slide | CER | titles exact | "
          "deck title | time / ours | CPU / ours |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.seconds:.1f} | {r.per_slide:.2f} | {60 * r.per_slide:.1f} | {r.cpu_per_slide:.2f} | "
              f"{100 * r.cer:.2f} % | {100 * r.titles:.0f} % | {r.deck_title!r} | {r.seconds / base.seconds:.2f} | "
              f"{r.cpu_per_slide / base.cpu_per_slide:.2f} |")
    for r in rows[1:]:
        print(f"\nours vs {r.name}: {r.seconds / base.seconds:.2f}x faster by the clock, "
              f"{r.cpu_per_slide / base.cpu_per_slide:.2f}x less CPU; "
              f"CER {100 * base.cer:.2f} % vs {100 * r.cer:.2f} %")
    print(f"\nre-run with the cache warm, every slide twice: {rerun_s * 1000:.0f} ms for {2 * len(deck)} images, "
          f"{rerun.engine_reads} engine reads, {rerun.reused} texts reused")
    print(f"\nbudget: {60 * base.per_slide:.1f} s of OCR per lecture-hour against 60 s "
          f"({'met' if 60 * base.per_slide <= 60 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
