"""Writing into the fetch folder so that a failure never leaves a half-written file behind.

Everything is written under a hidden `.part` name, hashed as it grows, and renamed into place only once it
is whole and has passed the probe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

from ..types import CancelCheck

CHUNK = 1024 * 1024

_SUFFIX_BY_FORMAT = {"mov": ".mp4", "mp4": ".mp4", "matroska": ".mkv", "webm": ".webm", "mpegts": ".ts",
                     "avi": ".avi", "flv": ".flv", "ogg": ".ogv", "asf": ".wmv", "mpeg": ".mpg"}


def suffix_for_format(format_name: str) -> str:
    """A file suffix that matches an FFmpeg demuxer name such as 'mov,mp4,m4a,3gp,3g2,mj2'."""
    for name in format_name.split(","):
        if name in _SUFFIX_BY_FORMAT:
            return _SUFFIX_BY_FORMAT[name]
    return ".video"


class PartFile:
    """A file growing under a temporary name; `commit` renames it into place, leaving it any other way removes it."""

    def __init__(self, dest_dir: Path, name: str, *, hashing: bool = True) -> None:
        self.tmp = Path(dest_dir) / f".{name}.part"
        self._hashing = hashing
        self._hash = hashlib.sha256()
        self.size = 0
        self._file: BinaryIO | None = open(self.tmp, "wb")

    def write(self, data: bytes) -> None:
        """Append bytes (and fold them into the hash)."""
        assert self._file is not None, "write after close"
        self._file.write(data)
        if self._hashing:
            self._hash.update(data)
        self.size += len(data)

    def rollback(self, size: int = 0) -> None:
        """Cut the file back to `size` bytes, e.g. to retry a segment or to restart a download from scratch."""
        assert self._file is not None, "rollback after close"
        if self._hashing and size != 0:
            raise ValueError("a hashed part file can only be rolled back to its start")
        self._file.flush()
        self._file.seek(size)
        self._file.truncate(size)
        self.size = size
        if self._hashing:
            self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        """Hex digest of everything written so far."""
        return self._hash.hexdigest()

    def close(self) -> None:
        """Flush to disk and stop writing; the file keeps its temporary name."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def commit(self, final: Path) -> Path:
        """Rename the finished file to `final` (replacing any older one)."""
        self.close()
        os.replace(self.tmp, final)
        return final

    def discard(self) -> None:
        """Remove the temporary file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> "PartFile":
        return self

    def __exit__(self, *exc) -> None:
        # After a commit the temporary name no longer exists, so this only ever removes leftovers.
        self.discard()


def hash_file(path: Path, cancel_check: CancelCheck) -> tuple[str, int]:
    """SHA-256 hex digest and size of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            cancel_check()
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _reflink(src: Path, dst: Path) -> bool:
    """Copy-on-write clone (btrfs, XFS, APFS-like filesystems); False where the filesystem cannot."""
    try:
        import fcntl
    except ImportError:
        return False
    ficlone = 0x40049409  # FICLONE from linux/fs.h
    with open(src, "rb") as s, open(dst, "wb") as d:
        try:
            fcntl.ioctl(d.fileno(), ficlone, s.fileno())
            return True
        except OSError:
            pass
    dst.unlink(missing_ok=True)
    return False


def place_copy(src: Path, dest_dir: Path, final: Path, cancel_check: CancelCheck) -> tuple[str, int]:
    """Put a copy of `src` at `final` without rewriting its bytes when the filesystem allows; returns (sha256, size)."""
    if src.resolve() == final.resolve():
        return hash_file(final, cancel_check)
    tmp = dest_dir / f".{final.name}.part"
    tmp.unlink(missing_ok=True)
    try:
        # A clone or a hard link costs no space or time for a multi-gigabyte recording; a copy is the fallback.
        if _reflink(src, tmp):
            digest = hash_file(tmp, cancel_check)
        else:
            try:
                os.link(src, tmp)
                digest = hash_file(tmp, cancel_check)
            except OSError:
                digest = _copy_hashing(src, tmp, cancel_check)
        os.replace(tmp, final)
        return digest
    finally:
        tmp.unlink(missing_ok=True)


def _copy_hashing(src: Path, tmp: Path, cancel_check: CancelCheck) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(src, "rb") as s, open(tmp, "wb") as d:
        while chunk := s.read(CHUNK):
            cancel_check()
            d.write(chunk)
            h.update(chunk)
            size += len(chunk)
        d.flush()
        os.fsync(d.fileno())
    shutil.copystat(src, tmp)
    return h.hexdigest(), size


def remove_quietly(*paths: Path) -> None:
    """Delete files that may or may not exist."""
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
