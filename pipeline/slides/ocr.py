"""Read the text of each distinct slide image offline (OCR), within a small time budget.

The default engine is RapidOCR on ONNX Runtime: its detection and recognition models ship inside the
`rapidocr` wheel, so nothing is downloaded at run time. Tesseract is used instead when it is asked for, or
when RapidOCR is not installed and a `tesseract` program is on PATH. Only distinct slides are read (a return
to a slide shares its text), each downscaled to `max_side` pixels on its longer side (slide text stays
readable there and detection time grows with the pixel count), in a bounded pool of engines, with
cancellation checked between slides.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
from PIL import Image

from ..errors import HandoutsError
from ..types import CancelCheck, Progress, Showing, SlideText, TextLine, no_cancel, no_progress
from .ocr_layout import find_title, order_lines, prominent_text

ENGINES = ("auto", "rapidocr", "tesseract", "off")


class OcrUnavailable(HandoutsError):
    """No OCR engine could be started; the message says why and what to install. The slides stage turns it
    into a warning: a handout without slide text is still a handout."""

    code = "ocr_unavailable"


class Engine(Protocol):
    """Reads an RGB image; returns fragments with boxes in pixels of that image."""

    name: str

    def read(self, rgb: np.ndarray) -> list[TextLine]: ...


class RapidEngine:
    """RapidOCR (PP-OCR models in ONNX) with the models its wheel ships; one instance per thread."""

    name = "rapidocr"

    def __init__(self, threads: int, max_side: int, min_confidence: float) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # the package or onnxruntime is missing or broken
            raise OcrUnavailable(f"rapidocr could not be imported ({exc}); install it with "
                                 "`pip install rapidocr onnxruntime`") from exc
        params = {"Global.log_level": "warning", "Global.use_cls": False,  # slides are upright
                  "Global.text_score": min_confidence,
                  "Det.limit_type": "max", "Det.limit_side_len": max_side,
                  "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                  "EngineConfig.onnxruntime.inter_op_num_threads": 1}
        try:
            self._ocr = RapidOCR(params=params)
        except Exception as exc:  # a model file missing or an ONNX Runtime that cannot load it
            raise OcrUnavailable(f"rapidocr could not load its models ({type(exc).__name__}: {exc})") from exc

    def read(self, rgb: np.ndarray) -> list[TextLine]:
        """Fragments found in the picture, boxes in its pixels."""
        result = self._ocr(rgb)
        if result.boxes is None or result.txts is None:
            return []
        out = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores):
            xs, ys = quad[:, 0], quad[:, 1]
            if text.strip():
                out.append(TextLine(text.strip(), (float(xs.min()), float(ys.min()), float(xs.max()),
                                                   float(ys.max())), float(score)))
        return out


class TesseractEngine:
    """The `tesseract` program (an optional extra when the system has it), read through its TSV output."""

    name = "tesseract"

    def __init__(self, threads: int, min_confidence: float, language: str = "eng") -> None:
        self._exe = shutil.which("tesseract")
        if not self._exe:
            raise OcrUnavailable("no `tesseract` program on PATH; install Tesseract or use HANDOUTS_OCR_ENGINE="
                                 "rapidocr")
        self._env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}
        self._min = min_confidence
        self._lang = language

    def read(self, rgb: np.ndarray) -> list[TextLine]:
        """Words grouped by Tesseract's own line numbers."""
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "PNG")
        run = subprocess.run([self._exe, "stdin", "stdout", "-l", self._lang, "--psm", "3", "tsv"],
                             input=buf.getvalue(), capture_output=True, env=self._env, timeout=120)
        if run.returncode != 0:
            raise RuntimeError(f"tesseract exited {run.returncode}: {run.stderr.decode(errors='replace')[:200]}")
        lines: dict[tuple, list] = {}
        for row in csv.DictReader(io.StringIO(run.stdout.decode("utf-8", "replace")), delimiter="\t",
                                  quoting=csv.QUOTE_NONE):
            text = (row.get("text") or "").strip()
            if not text or float(row.get("conf") or -1) < 100 * self._min:
                continue
            x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
            key = (row["block_num"], row["par_num"], row["line_num"])
            lines.setdefault(key, []).append((x, y, x + w, y + h, text, float(row["conf"]) / 100))
        out = []
        for words in lines.values():
            out.append(TextLine(" ".join(w[4] for w in words),
                                (min(w[0] for w in words), min(w[1] for w in words),
                                 max(w[2] for w in words), max(w[3] for w in words)),
                                min(w[5] for w in words)))
        return out


@dataclass(frozen=True)
class OcrOptions:
    """How slides are read: engine name, longest side fed to it, parallel engines, least confidence kept."""

    engine: str = "auto"
    max_side: int = 960
    workers: int = 2
    min_confidence: float = 0.5


def _threads_per_engine(workers: int) -> int:
    return max(1, (os.cpu_count() or 2) // max(1, workers))


def make_engine(opts: OcrOptions) -> Engine:
    """A new engine as `opts.engine` asks; `auto` prefers RapidOCR, then Tesseract. Raises OcrUnavailable."""
    threads = _threads_per_engine(opts.workers)
    if opts.engine not in ENGINES or opts.engine == "off":
        raise OcrUnavailable(f"OCR engine '{opts.engine}' is not one of rapidocr, tesseract, auto")
    if opts.engine == "rapidocr":
        return RapidEngine(threads, opts.max_side, opts.min_confidence)
    if opts.engine == "tesseract":
        return TesseractEngine(threads, opts.min_confidence)
    try:
        return RapidEngine(threads, opts.max_side, opts.min_confidence)
    except OcrUnavailable as first:
        try:
            return TesseractEngine(threads, opts.min_confidence)
        except OcrUnavailable:
            raise first from None


class EnginePool:
    """Engines kept for reuse across slides and jobs (loading one costs about a second)."""

    def __init__(self, factory: Callable[[], Engine]) -> None:
        self._factory = factory
        self._free: list[Engine] = []
        self._lock = threading.Lock()

    def run(self, fn: Callable[[Engine], object]) -> object:
        """Call fn with an engine nobody else is using at the moment."""
        with self._lock:
            engine = self._free.pop() if self._free else None
        if engine is None:
            engine = self._factory()
        try:
            return fn(engine)
        finally:
            with self._lock:
                self._free.append(engine)


_POOLS: dict[OcrOptions, EnginePool] = {}
_POOLS_LOCK = threading.Lock()


def engine_pool(opts: OcrOptions) -> EnginePool:
    """The process-wide pool for these options; checks at once that one engine can start."""
    with _POOLS_LOCK:
        pool = _POOLS.get(opts)
        if pool is None:
            pool = EnginePool(lambda: make_engine(opts))
            pool.run(lambda e: None)  # raises OcrUnavailable here rather than inside a worker
            _POOLS[opts] = pool
        return pool


def downscale(img: Image.Image, max_side: int) -> Image.Image:
    """The image shrunk so its longer side is at most max_side (never enlarged)."""
    scale = max_side / max(img.size)
    if scale >= 1:
        return img
    return img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)


def read_image(engine: Engine, img: Image.Image, max_side: int) -> SlideText:
    """One slide's text: lines in reading order with boxes as fractions, and its title."""
    small = downscale(img.convert("RGB"), max_side)
    w, h = small.size
    fragments = [TextLine(f.text, (f.box[0] / w, f.box[1] / h, f.box[2] / w, f.box[3] / h), f.confidence)
                 for f in engine.read(np.asarray(small))]
    lines = tuple(order_lines(fragments))
    return SlideText(find_title(list(lines)), lines, engine.name)


@dataclass
class OcrReport:
    """What reading a lecture's slides gave: text per image file, and slides that could not be read."""

    texts: dict[str, SlideText]
    failed: dict[str, str]
    engine: str


def read_slides(image_dir: Path, images: list[str], opts: OcrOptions, *, progress: Progress = no_progress,
                cancel_check: CancelCheck = no_cancel) -> OcrReport:
    """Read every image (once each) with at most opts.workers engines at a time. Raises OcrUnavailable."""
    pool = engine_pool(opts)
    todo = list(dict.fromkeys(images))
    texts: dict[str, SlideText] = {}
    failed: dict[str, str] = {}
    name = ""

    def one(image: str) -> SlideText:
        with Image.open(image_dir / image) as img:
            img.load()
            return pool.run(lambda engine: read_image(engine, img, opts.max_side))  # type: ignore[return-value]

    workers = max(1, min(opts.workers, len(todo)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as ex:
        pending: dict[Future, str] = {}
        queue = iter(todo)
        try:
            for image in queue:  # keep exactly `workers` slides in flight, no more
                pending[ex.submit(one, image)] = image
                if len(pending) >= workers:
                    break
            while pending:
                done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                cancel_check()
                for fut in done:
                    image = pending.pop(fut)
                    try:
                        texts[image] = fut.result()
                        name = texts[image].engine
                    except OcrUnavailable:
                        raise
                    except Exception as exc:  # one unreadable image must not cost the others their text
                        failed[image] = f"{type(exc).__name__}: {exc}"
                    progress((len(texts) + len(failed)) / len(todo), f"read {len(texts)} of {len(todo)} slides")
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[ex.submit(one, nxt)] = nxt
        finally:
            for fut in pending:
                fut.cancel()
    return OcrReport(texts, failed, name)


def attach_text(showings: list[Showing], texts: dict[str, SlideText]) -> None:
    """Give every showing its slide's text (returns to a slide share the same SlideText)."""
    for sh in showings:
        sh.slide_text = texts.get(sh.image)


def deck_title(showings: list[Showing]) -> str:
    """The lecture's title as its opening slide shows it: the most prominent text of the first slide with text."""
    seen: set[str] = set()
    for sh in showings:
        if sh.image in seen:
            continue
        seen.add(sh.image)
        if len(seen) > 2:
            break  # past the opening: a later slide's heading is not the lecture's title
        title = prominent_text(list(sh.slide_text.lines)) if sh.slide_text else ""
        if title:
            return title
    return ""
