"""Local files: a path on the worker's disk, plus the caption file a lecture capture system left beside it."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError, SourceNotFound

CAPTION_SUFFIXES = (".srt", ".vtt")


def check_readable(path: Path, source: str) -> None:
    """Raise a clear error unless `path` is a readable regular file."""
    if not path.exists():
        raise SourceNotFound(source, f"{source} does not exist; check the path (it must be visible to the "
                                     "Handouts worker)")
    if path.is_dir():
        raise InputError(f"{source} is a folder, not a video file; give the path of the recording itself",
                         source=source)
    if not os.access(path, os.R_OK):
        raise InputError(f"{source} cannot be read by the Handouts worker (permission denied); make it readable",
                         source=source)


def find_sidecar(video: Path, language: str = "en") -> Path | None:
    """The subtitle file beside `video` with the same base name: exact first, then `<name>.<language>`, then any."""
    stem = video.stem
    exact, preferred, other = [], [], []
    try:
        neighbours = sorted(video.parent.iterdir())
    except OSError:
        return None
    for p in neighbours:
        if p == video or p.suffix.lower() not in CAPTION_SUFFIXES or not p.is_file():
            continue
        base = p.name[: -len(p.suffix)]
        if base == stem:
            exact.append(p)
        elif base.startswith(stem + "."):
            tag = base[len(stem) + 1:]
            # A language tag is short ("en", "en-US", "pt_BR"); anything longer is another video's captions.
            if 2 <= len(tag) <= 8 and tag.replace("-", "").replace("_", "").isalpha():
                (preferred if tag.lower().split("-")[0].split("_")[0] == language.lower() else other).append(p)
    for group in (exact, preferred, other):
        # Prefer SRT over VTT when both exist: it is the simpler format to read.
        group.sort(key=lambda p: (p.suffix.lower() != ".srt", p.name))
        if group:
            return group[0]
    return None
