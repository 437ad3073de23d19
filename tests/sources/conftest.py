"""Fixtures for the source tests: settings that allow loopback, short backoff, small clips, the fake server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.settings import Settings
from pipeline.sources import http as source_http
from tests.fakes.http_server import http_server  # noqa: F401 - the fixture, shared with other test folders
from tests.fakes.media import make_clip


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    """Real backoff waits seconds; the tests only need the order of events."""
    monkeypatch.setattr(source_http, "POLICY", source_http.RetryPolicy(initial=0.01, maximum=0.05, jitter=0.01))


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings for tests: the fake server lives on loopback, so private URLs are allowed."""
    return Settings(data_dir=tmp_path / "data", allow_private_urls=True, http_retries=3, http_timeout=5.0)


@pytest.fixture
def dest(tmp_path) -> Path:
    """An empty fetch folder."""
    d = tmp_path / "fetch"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Small clips made once per run: an MP4 with audio, a TS, an audio-only M4A, a video without audio."""
    d = tmp_path_factory.mktemp("clips")
    return {
        "mp4": make_clip(d / "lecture.mp4", seconds=3.0, size=(160, 90)),
        "ts": make_clip(d / "lecture.ts", seconds=3.0, size=(160, 90), container="mpegts"),
        "audio": make_clip(d / "talk.m4a", seconds=2.0, video=False),
        "silent": make_clip(d / "silent.mp4", seconds=2.0, size=(160, 90), audio=None),
    }


def leftovers(folder: Path) -> list[str]:
    """Names of everything in `folder` (hidden part files included)."""
    return sorted(p.name for p in folder.iterdir())
