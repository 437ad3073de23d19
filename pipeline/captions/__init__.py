"""Captions for a lecture video, from the best source at hand.

Preference: a sidecar file the user gave, a caption track inside the video, OpenAI speech-to-text when a
key is configured, offline recognition (Whisper when its model is installed, else pocketsphinx; see
`recognise.py`) when allowed, else none. Every way ends in the same
CaptionResult, whose warnings tell the user what the handout will lack and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import structlog

from ..settings import Settings
from ..types import CancelCheck, Cue, MediaInfo, Progress, no_cancel, no_progress
from .audio import has_speech_energy
from .embedded import extract_embedded
from .recognise import transcribe_offline_best
from .openai_stt import make_openai_client, transcribe_openai
from .subtitles import parse_subtitles, write_srt, write_vtt
from .tidy import clean_caption_text

__all__ = ["CaptionResult", "RECOGNISER_OF_SOURCE", "get_captions", "parse_subtitles", "write_srt", "write_vtt", "extract_embedded",
           "clean_caption_text", "SOURCES"]

SOURCES = ("sidecar", "embedded", "openai", "offline", "none")
# The recogniser a source implies when a checkpoint does not name it (OpenAI's model is then unknown).
RECOGNISER_OF_SOURCE = {"openai": "openai", "offline": "offline"}
OFFLINE_RECOGNISER = "offline"
NO_AUDIO = "the video has no audio track: the handout has slides without captions"
NO_SPEECH = "no speech was found in the audio track: the handout has slides without captions"
NO_RECOGNISER = ("the video has no captions and no speech recognition is configured: set OPENAI_API_KEY or "
                 "HANDOUTS_OFFLINE_ASR=true, or give a caption file; the handout has slides without captions")

log = structlog.get_logger(__name__)


@dataclass
class CaptionResult:
    """The cues found, which source they came from (one of SOURCES) and what the user should know.

    `recogniser` names the speech recogniser that heard them ("offline", "openai:whisper-1"); it is None for
    captions a person or a caption track gave, and `machine` says so for a reader of the handout.
    """

    cues: list[Cue]
    source: str
    warnings: list[str] = field(default_factory=list)
    recogniser: str | None = None

    @property
    def machine(self) -> bool:
        """True when the captions came from speech recognition, not from a person's caption file."""
        return self.recogniser is not None

    def to_json(self) -> dict:
        """The stage's checkpoint: cues, source, warnings, machine and recogniser."""
        return {"cues": [c.to_json() for c in self.cues], "source": self.source, "warnings": list(self.warnings),
                "machine": self.machine, "recogniser": self.recogniser}

    @classmethod
    def from_json(cls, d: dict) -> "CaptionResult":
        """Read a checkpoint back; one written before `recogniser` existed is read by its source."""
        source = str(d["source"])
        recogniser = d.get("recogniser", RECOGNISER_OF_SOURCE.get(source))
        return cls([Cue.from_json(c) for c in d.get("cues", [])], source, list(d.get("warnings", [])),
                   None if recogniser is None else str(recogniser))


def _has_key(settings: Settings) -> bool:
    key = settings.openai_api_key
    return key is not None and bool(key.get_secret_value().strip())


def get_captions(video: Path, media: MediaInfo, settings: Settings, *, sidecar: Path | None = None,
                 progress: Progress = no_progress, cancel_check: CancelCheck = no_cancel,
                 openai_client=None) -> CaptionResult:
    """Captions from the first source that has them: sidecar, embedded track, OpenAI, offline ASR, or none."""
    video = Path(video)
    warnings: list[str] = []
    if sidecar is not None:
        progress(0.0, "reading the caption file")
        cues = parse_subtitles(Path(sidecar))   # the user chose this file: a bad one is their error to see
        if cues:
            progress(1.0, f"read {len(cues)} captions from {Path(sidecar).name}")
            return CaptionResult(cues, "sidecar")
        warnings.append(f"the caption file {Path(sidecar).name} holds no captions; looking for others")

    if media.subtitle_streams:
        cancel_check()
        progress(0.0, "reading the caption track inside the video")
        cues = extract_embedded(video)
        if cues:
            progress(1.0, f"read {len(cues)} captions from the video's caption track")
            return CaptionResult(cues, "embedded", warnings)

    if not media.has_audio:
        return CaptionResult([], "none", warnings + [NO_AUDIO])

    use_openai = openai_client is not None or _has_key(settings)
    if not use_openai and not settings.offline_asr:
        return CaptionResult([], "none", warnings + [NO_RECOGNISER])

    cancel_check()
    progress(0.0, "listening for speech")
    if not has_speech_energy(video):
        return CaptionResult([], "none", warnings + [NO_SPEECH])

    if use_openai:
        client = openai_client if openai_client is not None else make_openai_client(settings)
        log.info("captions.openai", model=settings.openai_transcribe_model, seconds=round(media.duration, 1))
        cues = transcribe_openai(video, client, settings, duration=media.duration, progress=progress,
                                 cancel_check=cancel_check)
        source, recogniser = "openai", f"openai:{settings.openai_transcribe_model}"
    else:
        heard = transcribe_offline_best(video, media.duration, settings, progress=progress,
                                        cancel_check=cancel_check)
        cues, source, recogniser = heard.cues, "offline", heard.recogniser
        warnings.extend(heard.warnings)
    if not cues:
        return CaptionResult([], "none", warnings + [NO_SPEECH])
    return CaptionResult(cues, source, warnings, recogniser)
