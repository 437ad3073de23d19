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


Box = tuple[float, float, float, float]
"""A region of a slide image: x0, y0, x1, y1 as fractions (0–1) of its width and height."""


@dataclass(frozen=True)
class TextLine:
    """One line of text read off a slide image (OCR), where it stands and how sure the reader was."""

    text: str
    box: Box
    confidence: float = 1.0

    def to_json(self) -> dict:
        return {"text": self.text, "box": [round(v, 4) for v in self.box], "confidence": round(self.confidence, 3)}

    @classmethod
    def from_json(cls, d: dict) -> "TextLine":
        return cls(str(d["text"]), tuple(float(v) for v in d["box"]), float(d.get("confidence", 1.0)))


@dataclass(frozen=True)
class SlideText:
    """What is written on one distinct slide: its title (may be empty) and every line read, top to bottom."""

    title: str
    lines: tuple[TextLine, ...] = ()
    engine: str = ""

    @property
    def text(self) -> str:
        """Every line, joined with newlines, in reading order."""
        return "\n".join(line.text for line in self.lines)

    def to_json(self) -> dict:
        return {"title": self.title, "lines": [line.to_json() for line in self.lines], "engine": self.engine}

    @classmethod
    def from_json(cls, d: dict) -> "SlideText":
        return cls(str(d.get("title", "")), tuple(TextLine.from_json(x) for x in d.get("lines", [])),
                   str(d.get("engine", "")))


@dataclass
class Showing:
    """One stretch of time during which one slide is on screen.

    `image` is the PNG file name of the slide (shared by every showing of the same slide);
    `repeat_of` is the index of the first showing of this slide when the lecture returns to it.
    `slide_text` is what OCR read on the slide image (None when it was not read); `covered` is the region of
    the image a speaker picture-in-picture still hides (None when nothing does).
    """

    start: float
    end: float
    image: str
    repeat_of: int | None = None
    text: str = ""
    cues: list[Cue] = field(default_factory=list)
    slide_text: SlideText | None = None
    covered: Box | None = None

    def to_json(self) -> dict:
        d = {"start": round(self.start, 3), "end": round(self.end, 3), "image": self.image,
             "repeat_of": self.repeat_of, "text": self.text, "cues": [c.to_json() for c in self.cues]}
        if self.slide_text is not None:
            d["slide_text"] = self.slide_text.to_json()
        if self.covered is not None:
            d["covered"] = [round(v, 4) for v in self.covered]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Showing":
        st = d.get("slide_text")
        cov = d.get("covered")
        return cls(float(d["start"]), float(d["end"]), str(d["image"]), d.get("repeat_of"), d.get("text", ""),
                   [Cue.from_json(c) for c in d.get("cues", [])],
                   SlideText.from_json(st) if st else None, tuple(float(v) for v in cov) if cov else None)


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
