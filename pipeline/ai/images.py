"""Slide images for the model: downscaled JPEGs, what each costs in input tokens, and which models read them.

A slide image is prepared once per distinct slide (the showings of one slide share its file): decoded,
downscaled to HANDOUTS_AI_IMAGE_MAX_SIDE on its longer side, and encoded as a JPEG; its sha256 names it in the
cache key, so a changed picture is a changed answer. What an image costs depends on the model family
(HANDOUTS_AI_VISION): "tile" models (gpt-4o, gpt-4.1) bill a fixed base at detail low and 512 px tiles at high;
"patch" models (gpt-4.1-mini/nano, gpt-5-mini/nano) bill 32 px patches times a multiplier and ignore the
detail, so for them the downscaling is what keeps an image cheap.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings

PATCH = 32
MAX_PATCHES = 1536
TILE = 512


@dataclass(frozen=True)
class SlideImage:
    """One slide's picture as sent: JPEG bytes, their size in pixels, and their hash."""

    name: str
    data: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def data_url(self) -> str:
        """The image as an inline data URL (OpenAI takes base64 images this way)."""
        return "data:image/jpeg;base64," + base64.b64encode(self.data).decode("ascii")

    @property
    def encoded_bytes(self) -> int:
        """Bytes the image adds to a request body, base64 and URL prefix included."""
        return 4 * math.ceil(len(self.data) / 3) + len("data:image/jpeg;base64,")


class ImageUnreadable(ValueError):
    """A slide image file that cannot be decoded; the slide is then sent as text only."""


def prepare_image(path: Path, max_side: int, quality: int, name: str | None = None) -> SlideImage:
    """`path` decoded, downscaled so its longer side is at most `max_side`, and encoded as a JPEG."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            rgb = img.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as e:
        raise ImageUnreadable(f"slide image {path.name} cannot be read ({e})") from None
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=quality, optimize=True)
    return SlideImage(name or path.name, out.getvalue(), rgb.width, rgb.height)


def prepare_images(paths: dict[str, Path], settings: Settings) -> tuple[dict[str, SlideImage], dict[str, str]]:
    """Every readable slide image by name, and the reason for each one that could not be read."""
    images: dict[str, SlideImage] = {}
    problems: dict[str, str] = {}
    for name, path in paths.items():
        try:
            images[name] = prepare_image(path, settings.ai_image_max_side, settings.ai_image_quality, name)
        except ImageUnreadable as e:
            problems[name] = str(e)
    return images, problems


def vision_rule(settings: Settings, model: str) -> dict[str, float] | None:
    """The image cost rule of `model` (exact name, else the longest family it is a dated version of)."""
    table = settings.ai_vision
    name = model.lower().rsplit("/", 1)[-1]
    if name in table:
        return table[name]
    family = max((f for f in table if name.startswith(f + "-")), key=len, default=None)
    return table[family] if family else None


def accepts_images(settings: Settings, model: str) -> bool:
    """Whether slide images go to `model`: HANDOUTS_AI_IMAGES; for auto, whether the model reads images and one
    picture costs it at most HANDOUTS_AI_IMAGE_MAX_TOKENS."""
    if settings.ai_images != "auto":
        return settings.ai_images == "on"
    return vision_rule(settings, model) is not None and typical_image_tokens(settings, model) <= \
        settings.ai_image_max_tokens


def typical_image_tokens(settings: Settings, model: str) -> int:
    """What one 16:9 slide picture at HANDOUTS_AI_IMAGE_MAX_SIDE costs `model` at HANDOUTS_AI_IMAGE_DETAIL."""
    side = settings.ai_image_max_side
    return image_tokens(settings, model, side, max(1, round(side * 9 / 16)))


def image_tokens(settings: Settings, model: str, width: int, height: int, detail: str | None = None) -> int:
    """Input tokens one `width` x `height` image costs `model` at `detail` (auto is priced as high)."""
    detail = detail or settings.ai_image_detail
    # A model missing from the table (sent images under HANDOUTS_AI_IMAGES=on) is priced as the dearest rule.
    rule = vision_rule(settings, model) or {"patch": 2.46}
    if "patch" in rule:
        patches = math.ceil(width / PATCH) * math.ceil(height / PATCH)
        if patches > MAX_PATCHES:
            # The guide's rule: shrink to the patch budget, then a little more so the width is whole patches.
            shrink = math.sqrt(MAX_PATCHES * PATCH * PATCH / (width * height))
            w, h = width * shrink, height * shrink
            fit = max(1, math.floor(w / PATCH)) / (w / PATCH)
            w, h = w * fit, h * fit
            patches = min(MAX_PATCHES, math.ceil(w / PATCH) * math.ceil(h / PATCH))
        return math.ceil(patches * rule["patch"])
    base, tile = int(rule.get("base", 85)), int(rule.get("tile", 170))
    if detail == "low":
        return base
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        w, h = w * 2048 / max(w, h), h * 2048 / max(w, h)
    if min(w, h) > 768:
        w, h = w * 768 / min(w, h), h * 768 / min(w, h)
    return base + tile * math.ceil(w / TILE) * math.ceil(h / TILE)
