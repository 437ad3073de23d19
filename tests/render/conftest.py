"""Fake slides drawn with Pillow and the showings that point at them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.render.pdf import HandoutMeta
from pipeline.types import Showing

FONT = Path(__file__).resolve().parents[2] / "pipeline" / "fonts" / "DejaVuSans.ttf"
UNICODE_CAPTION = "Schrödinger — ∂ψ/∂t, α-helix"


def draw_slide(path: Path, title: str, *, size: tuple[int, int] = (640, 360), bullets: int = 3) -> Path:
    """A slide as a lecture shows one: a dark title bar and a few lines of text on white."""
    w, h = size
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, w, h // 6], fill=(25, 55, 130))
    d.text((w // 20, h // 24), title, font=ImageFont.truetype(str(FONT), h // 10), fill="white")
    body = ImageFont.truetype(str(FONT), h // 18)
    for i in range(bullets):
        d.text((w // 12, h // 4 + i * h // 9), f"\u2022 point {i + 1} of {title}", font=body, fill=(20, 20, 20))
    img.save(path)
    return path


@pytest.fixture
def make_slides(tmp_path):
    """Draw `n` slides named slide-001.png... into a fresh folder; returns the folder."""
    def make(n: int, *, size: tuple[int, int] = (640, 360)) -> Path:
        folder = tmp_path / "slides"
        folder.mkdir(exist_ok=True)
        for k in range(1, n + 1):
            draw_slide(folder / f"slide-{k:03d}.png", f"Slide {k}", size=size)
        return folder
    return make


def showings_for(n: int, *, seconds_each: float = 60.0, text: str = "Words said while this slide was up.") -> list[Showing]:
    """One showing per slide, back to back, each with the same short caption."""
    return [Showing(start=k * seconds_each, end=(k + 1) * seconds_each, image=f"slide-{k + 1:03d}.png",
                    text=f"{text} ({k + 1})") for k in range(n)]


@pytest.fixture
def meta() -> HandoutMeta:
    return HandoutMeta(title="Quantum Mechanics — Lecture 7", author="Prof. Zoë Ångström",
                       subject="PHYS 201 handout", keywords=["physics", "quantum"], language="en",
                       source="lecture-07.mp4", duration=3725.0, paper="letter",
                       created=datetime(2025, 3, 1, 10, 0, tzinfo=timezone.utc))
