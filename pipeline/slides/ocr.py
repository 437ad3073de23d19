"""Read the text of each distinct slide image offline (OCR), within a small time budget.

The default engine is RapidOCR on ONNX Runtime: its detection and recognition models ship inside the
`rapidocr` wheel, so nothing is downloaded at run time. Tesseract is used instead when it is asked for, or
when RapidOCR is not installed and a `tesseract` program is on PATH. Only distinct slides are read (a return
to a slide shares its text), each downscaled to `max_side` pixels on its longer side (slide text stays
readable there and detection time grows with the pixel count), by a pool of at most `workers` engines kept
for the life of the process and shared by its jobs, with cancellation checked between slides. "Distinct" is by content: images are keyed by
the SHA-256 of their file, so two files with the same bytes are read once, and a text already read (earlier in
this process, or by an earlier attempt of the same job, whose folder keeps an `ocr-cache.json`) costs no
engine call at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import threading
import time
from collections import OrderedDict
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

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


# Measured with benchmarks.ocr (docs/slide-text.md): recognising lines one at a time is faster than the library's
# batches of 6, which pad every line of a batch to the widest one; ONNX Runtime's CPU memory arena keeps the
# buffers of one slide for the next instead of allocating them again. The text read is the same.
RAPID_TUNING: dict[str, Any] = {"Rec.rec_batch_num": 1, "EngineConfig.onnxruntime.enable_cpu_mem_arena": True}


def rapid_params(threads: int, max_side: int, min_confidence: float) -> dict[str, Any]:
    """RapidOCR settings for slides: upright text, detection on the longer side capped at max_side, tuned."""
    return {"Global.log_level": "warning", "Global.use_cls": False,  # slides are upright
            "Global.text_score": min_confidence,
            "Det.limit_type": "max", "Det.limit_side_len": max_side,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1, **RAPID_TUNING}


class RapidEngine:
    """RapidOCR (PP-OCR models in ONNX) with the models its wheel ships; one instance per thread.

    `params` replaces the settings `rapid_params` gives (the benchmark passes the library's defaults)."""

    name = "rapidocr"

    def __init__(self, threads: int, max_side: int, min_confidence: float,
                 params: dict[str, Any] | None = None) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # the package or onnxruntime is missing or broken
            raise OcrUnavailable(f"rapidocr could not be imported ({exc}); install it with "
                                 "`pip install rapidocr onnxruntime`") from exc
        if params is None:
            params = rapid_params(threads, max_side, min_confidence)
        try:
            self._ocr = RapidOCR(params=params)
            # the library loads its models on first use; load them now, so a broken model fails here and the
            # first slide does not pay for loading
            loads = ["_load_det_model", "_load_rec_model"] + (["_load_cls_model"]
                                                              if getattr(self._ocr, "use_cls", False) else [])
            for load in loads:
                getattr(self._ocr, load, lambda: None)()
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
    """Engines kept for reuse across slides and jobs (loading one costs about a second). At most `limit` read
    at the same time, however many jobs of the process share the pool: a slide waits for a free engine rather
    than another engine being built to fight over the same cores (and hold its own few hundred MiB)."""

    def __init__(self, factory: Callable[[], Engine], limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"an engine pool holds at least one engine, not {limit}")
        self._factory = factory
        self._free: list[Engine] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(limit) if limit else None
        self.limit = limit
        self.built = 0

    def run(self, fn: Callable[[Engine], object]) -> object:
        """Call fn with an engine nobody else is using at the moment (waiting for one when `limit` are busy)."""
        if self._slots is not None:
            self._slots.acquire()
        try:
            with self._lock:
                engine = self._free.pop() if self._free else None
            if engine is None:
                engine = self._build()
            try:
                return fn(engine)
            finally:
                with self._lock:
                    self._free.append(engine)
        finally:
            if self._slots is not None:
                self._slots.release()

    def prepare(self, count: int) -> None:
        """Build engines until `count` are kept (a benchmark's warm-up; a worker builds them as it needs them)."""
        count = min(count, self.limit or count)
        while True:
            with self._lock:
                if len(self._free) >= count:
                    return
            engine = self._build()
            with self._lock:
                self._free.append(engine)

    def _build(self) -> Engine:
        engine = self._factory()
        with self._lock:
            self.built += 1
        return engine


_POOLS: dict[OcrOptions, EnginePool] = {}
_POOLS_LOCK = threading.Lock()


def engine_pool(opts: OcrOptions) -> EnginePool:
    """The process-wide pool for these options; checks at once that one engine can start."""
    with _POOLS_LOCK:
        pool = _POOLS.get(opts)
        if pool is None:
            pool = EnginePool(lambda: make_engine(opts), limit=max(1, opts.workers))
            pool.run(lambda e: None)  # raises OcrUnavailable here rather than inside a worker
            _POOLS[opts] = pool
        return pool


def reader_key(opts: OcrOptions) -> str:
    """What a cached text depends on besides the image: the engine asked for and how the image is fed to it."""
    return f"{opts.engine}/{opts.max_side}/{opts.min_confidence:g}"


class OcrCache:
    """Texts read, by reader_key and the SHA-256 of the image file; past `capacity` the least recently used go."""

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 1:
            raise ValueError(f"an OCR cache holds at least one text, not {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], SlideText] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, reader: str, sha256: str) -> SlideText | None:
        with self._lock:
            text = self._items.get((reader, sha256))
            if text is not None:
                self._items.move_to_end((reader, sha256))
            return text

    def put(self, reader: str, sha256: str, text: SlideText) -> None:
        with self._lock:
            self._items[(reader, sha256)] = text
            self._items.move_to_end((reader, sha256))
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


SHARED_CACHE = OcrCache()
STORE_NAME = "ocr-cache.json"  # in the folder of a job's slide images
_STORE_VERSION = 1


def _load_store(path: Path, reader: str) -> dict[str, SlideText]:
    """Texts an earlier attempt of this job stored for this reader; an unreadable or foreign file counts as none."""
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != _STORE_VERSION or data.get("reader") != reader:
            return {}
        return {sha: SlideText.from_json(d) for sha, d in data["texts"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _save_store(path: Path, reader: str, texts: dict[str, SlideText]) -> None:
    """Replace the job's store at once (a reader never sees half a file); a folder that cannot be written
    only costs a re-run its reuse, so it is not an error."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # two attempts never share one
    try:
        tmp.write_text(json.dumps({"version": _STORE_VERSION, "reader": reader,
                                   "texts": {sha: t.to_json() for sha, t in texts.items()}}), "utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    """What reading a lecture's slides gave: text per image file, slides that could not be read, and how many
    distinct images an engine read (`engine_reads`) or were found already read (`reused`)."""

    texts: dict[str, SlideText]
    failed: dict[str, str]
    engine: str
    engine_reads: int = 0
    reused: int = 0


_USE_SHARED = object()


def read_slides(image_dir: Path, images: list[str], opts: OcrOptions, *, progress: Progress = no_progress,
                cancel_check: CancelCheck = no_cancel, pool: EnginePool | None = None,
                cache: OcrCache | None | object = _USE_SHARED, store: bool = False) -> OcrReport:
    """Read every distinct image (by content) once, with at most opts.workers engines at a time.

    Texts come first from `cache` (the process-wide one unless given; None reads everything again), then,
    with `store`, from image_dir/ocr-cache.json, which is kept up to date as slides are read so a re-run of
    the job finds them. `pool` defaults to the process-wide pool for `opts`, which is only started when some
    image is left to read. Raises OcrUnavailable."""
    mem: OcrCache | None = SHARED_CACHE if cache is _USE_SHARED else cache  # type: ignore[assignment]
    reader = reader_key(opts)
    store_path = image_dir / STORE_NAME
    stored = _load_store(store_path, reader) if store else {}
    texts: dict[str, SlideText] = {}
    failed: dict[str, str] = {}
    names_of: dict[str, list[str]] = {}  # sha256 -> the image files with those bytes
    for image in dict.fromkeys(images):
        try:
            names_of.setdefault(file_sha256(image_dir / image), []).append(image)
        except OSError as exc:
            failed[image] = f"{type(exc).__name__}: {exc}"
    done: dict[str, SlideText] = {}
    for sha in names_of:
        hit = (mem.get(reader, sha) if mem is not None else None) or stored.get(sha)
        if hit is not None:
            done[sha] = hit
    reused = len(done)
    todo = [sha for sha in names_of if sha not in done]
    name = next((t.engine for t in done.values() if t.engine), "")

    def finish(sha: str, text: SlideText) -> None:
        done[sha] = text
        if mem is not None:
            mem.put(reader, sha, text)

    if todo:
        name = _read_distinct(image_dir, names_of, todo, opts, pool or engine_pool(opts), finish, failed,
                              progress, cancel_check, store_path if store else None, stored, done) or name
    elif store and any(sha not in stored for sha in done):
        _save_store(store_path, reader, {**stored, **done})
    for sha, text in done.items():
        for image in names_of[sha]:
            texts[image] = text
    return OcrReport(texts, failed, name, engine_reads=len(done) - reused, reused=reused)


def _read_distinct(image_dir: Path, names_of: dict[str, list[str]], todo: list[str], opts: OcrOptions,
                   pool: EnginePool, finish: Callable[[str, SlideText], None], failed: dict[str, str],
                   progress: Progress, cancel_check: CancelCheck, store_path: Path | None,
                   stored: dict[str, SlideText], done: dict[str, SlideText]) -> str:
    """OCR each image in `todo` (by sha256) in a bounded pool of threads; the engine's name, "" if none read."""
    reader = reader_key(opts)
    name = ""
    last_save = [time.monotonic()]

    def save(force: bool) -> None:
        if store_path is None or not (force or time.monotonic() - last_save[0] >= 2.0):
            return
        last_save[0] = time.monotonic()
        _save_store(store_path, reader, {**stored, **done})

    def one(sha: str) -> SlideText:
        with Image.open(image_dir / names_of[sha][0]) as img:
            img.load()
            return pool.run(lambda engine: read_image(engine, img, opts.max_side))  # type: ignore[return-value]

    workers = max(1, min(opts.workers, len(todo)))
    finished = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as ex:
        pending: dict[Future, str] = {}
        queue = iter(todo)
        try:
            for sha in queue:  # keep exactly `workers` slides in flight, no more
                pending[ex.submit(one, sha)] = sha
                if len(pending) >= workers:
                    break
            while pending:
                done_now, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done_now:  # kept before cancellation is checked: a re-run will not read them again
                    sha = pending.pop(fut)
                    finished += 1
                    try:
                        text = fut.result()
                        finish(sha, text)
                        name = text.engine
                    except OcrUnavailable:
                        raise
                    except Exception as exc:  # one unreadable image must not cost the others their text
                        for image in names_of[sha]:
                            failed[image] = f"{type(exc).__name__}: {exc}"
                    save(force=False)
                    progress(finished / len(todo), f"read {finished} of {len(todo)} slides")
                cancel_check()
                for _ in done_now:
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[ex.submit(one, nxt)] = nxt
        finally:
            for fut in pending:
                fut.cancel()
            save(force=True)
    return name


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
