"""Plain data passed between stages; every type round-trips through JSON for checkpoints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Protocol


@dataclass(frozen=True)
class Cue:
    """One caption: text spoken from `start` to `end` seconds."""

    start: float
    end: float
    text: str

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Cue":
        return cls(float(d["start"]), float(d["end"]), str(d["text"]))


@dataclass
class Showing:
    """One stretch of time during which one slide is on screen.

    `image` is the PNG file name of the slide (shared by every showing of the same slide);
    `repeat_of` is the index of the first showing of this slide when the lecture returns to it.
    """

    start: float
    end: float
    image: str
    repeat_of: int | None = None
    text: str = ""
    cues: list[Cue] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "image": self.image,
                "repeat_of": self.repeat_of, "text": self.text, "cues": [c.to_json() for c in self.cues]}

    @classmethod
    def from_json(cls, d: dict) -> "Showing":
        return cls(float(d["start"]), float(d["end"]), str(d["image"]), d.get("repeat_of"), d.get("text", ""),
                   [Cue.from_json(c) for c in d.get("cues", [])])


@dataclass(frozen=True)
class MediaInfo:
    """What a container probe found in a media file."""

    duration: float          # seconds
    width: int
    height: int
    fps: float
    video_codec: str
    has_audio: bool
    subtitle_streams: int    # text subtitle tracks (mov_text, subrip, webvtt, ass)
    format_name: str

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "MediaInfo":
        return cls(**d)


class Progress(Protocol):
    """Reports progress inside a stage: `fraction` in [0, 1] of this stage, and a short message."""

    def __call__(self, fraction: float, message: str = "") -> None: ...


CancelCheck = Callable[[], None]
"""Called often inside long loops; raises `Cancelled` or `StageTimeout` when the stage must stop."""


def no_progress(fraction: float, message: str = "") -> None:
    """A Progress that reports nowhere."""


def no_cancel() -> None:
    """A CancelCheck that never stops anything."""
