"""The AI port: what an engine is, what it returns. OpenAI and the offline engine both implement it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

from .schemas import LectureInput


@dataclass(frozen=True)
class Prompt:
    """A prompt file's text; its version is the hash of that text, so editing it moves the cache."""

    name: str
    text: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]


@dataclass
class Completion:
    """One task's answer, validated against the task's schema, with what it cost."""

    value: BaseModel
    model: str
    tokens_in: int = 0
    tokens_cached: int = 0
    tokens_out: int = 0
    tokens_image: int = 0       # the part of tokens_in that the slide pictures cost (estimated)


class Engine(Protocol):
    """Runs one named task (see schemas.TASKS) over a lecture with a prompt; raises AIError subclasses."""

    name: str
    model: str
    # An engine that reads slide pictures says so with `accepts_images = True`; without it, pictures are not sent.

    def run(self, task: str, lecture: LectureInput, prompt: Prompt) -> Completion: ...
