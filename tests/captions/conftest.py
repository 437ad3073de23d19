"""Clips shared by the caption tests, made once per session to keep the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.media import make_clip, make_clip_with_audio

SPEECH = Path(__file__).parent / "data" / "speech.flac"
"""12.9 s of synthetic English speech (espeak-ng), two sentences with a pause between 6.1 s and 7.8 s:
'Hello and welcome to the lecture. Today we talk about the history of computers.'
'The first machines were very large. They filled a whole room.'"""


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        "tone": make_clip(d / "tone.mp4", seconds=3, size=(160, 90), fps=5, audio="tone"),
        "silence": make_clip(d / "silence.mp4", seconds=3, size=(160, 90), fps=5, audio="silence"),
        "mute": make_clip(d / "mute.mp4", seconds=2, size=(160, 90), fps=5, audio=None),
        "speech": make_clip_with_audio(d / "speech.mp4", SPEECH),
    }
