"""Knobs of the slide finder, with defaults tuned on the synthetic benchmark (benchmarks/slides.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlideOptions:
    """Thresholds for the scan, the comparison of two pictures and the targeted decode."""

    thumb_size: tuple[int, int] = (160, 90)   # gray pictures are compared at this size
    block: int = 10                           # thumbnail pixels per side of a comparison block
    pixel_delta: int = 20                     # a thumbnail pixel changed when it moves by more than this
    block_pixels: int = 4                     # a block changed when at least this many of its pixels changed
    new_fraction: float = 0.06                # share of (unmasked) blocks that must change for a new slide
    addition_share: float = 0.8               # share of changed pixels going background -> ink that makes a build
    volatile_share: float = 0.5               # blocks changing in this share of same-slide keyframe pairs are masked
    spike_ratio: float = 6.0                  # packet size / rolling median that marks a content change
    min_share: float = 0.03                   # packet size / median keyframe size below which nothing changed
    strong_share: float = 0.2                 # packet size / median keyframe size of a whole-slide change
                                              # (a hint only: big build steps reach it too)
    min_scan_gap: float = 4.0                 # decode at most one regular keyframe per this many seconds in the
                                              # scan; early ones (scene cuts) are all decoded (scan.py)
    image_compress_level: int = 1             # PNG zlib level: 1 is ~5x faster than the default for screenshots
    room: bool | None = None                  # a room camera filming a projection: None = find out (room.py),
                                              # False = treat as a screen recording, True = require a screen
    screen: object | None = None              # the projected screen (room.Screen) once found; thumbnails and
                                              # slide images are then the screen straightened out
