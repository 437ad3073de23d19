"""Recordings uploaded from the LMS: written to a temporary file as they arrive, refused at the first bytes that
are not a video and at the first byte past the size limit, never buffered whole."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import Request

SNIFF_BYTES = 376


class UploadRefused(Exception):
    """An upload stopped while it streamed in; `message` says why and what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def sniff(head: bytes) -> tuple[str | None, str]:
    """(file suffix, what it is) when `head` starts like a video container; (None, what it looks like) otherwise."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        brand = head[8:12]
        return (".mov" if brand == b"qt  " or head[4:8] != b"ftyp" else ".mp4"), "an MP4/QuickTime video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".mkv", "a Matroska/WebM video"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return ".avi", "an AVI video"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return ".wmv", "a Windows Media video"
    if head.startswith(b"FLV"):
        return ".flv", "a Flash video"
    if head.startswith(b"\x00\x00\x01\xba"):
        return ".mpg", "an MPEG program stream"
    if len(head) >= 189 and head[0] == 0x47 and head[188] == 0x47:
        return ".ts", "an MPEG transport stream"
    lowered = head[:64].lstrip().lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        return None, "a web page or XML document"
    if head.startswith(b"%PDF"):
        return None, "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return None, "a ZIP archive (or an Office document)"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return None, "an image"
    if head.startswith((b"ID3", b"\xff\xfb", b"fLaC", b"OggS")) or head[8:12] == b"WAVE":
        return None, "an audio file (Handouts needs the video with the slides)"
    return None, "not a video format Handouts knows"


class SniffedUpload:
    """The file object werkzeug writes an uploaded part into: hashes, counts and checks as bytes arrive."""

    def __init__(self, directory: Path, limit: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
        self._f = os.fdopen(fd, "w+b")
        self.path = Path(name)
        self.limit = limit
        self.size = 0
        self.head = b""
        self.suffix: str | None = None
        self._sha = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            self.discard()
            raise UploadRefused("too_large", f"the recording is larger than the {self.limit // 1024**2} MB "
                                             "Handouts takes from the LMS; upload it somewhere and give its link")
        if self.suffix is None:
            self.head += data[:SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES or len(self.head) >= 12 and sniff(self.head)[0]:
                suffix, what = sniff(self.head)
                if suffix is None:
                    self.discard()
                    raise UploadRefused("not_a_video", f"the uploaded file is {what}, not a video; choose the "
                                                       "lecture recording (MP4, MOV, MKV, WebM …)")
                self.suffix = suffix
        self._sha.update(data)
        return self._f.write(data)

    def finish(self) -> None:
        """Called once the part is complete: a file too short to recognise is refused here."""
        self._f.flush()
        if self.suffix is None:
            suffix, what = sniff(self.head)
            if suffix is None:
                self.discard()
                raise UploadRefused("not_a_video", f"the uploaded file is {what if self.head else 'empty'}, not a "
                                                   "video; choose the lecture recording (MP4, MOV, MKV, WebM …)")
            self.suffix = suffix

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def discard(self) -> None:
        try:
            self._f.close()
        finally:
            self.path.unlink(missing_ok=True)

    # werkzeug reads the part back through these
    def seek(self, *a):
        return self._f.seek(*a)

    def read(self, *a):
        return self._f.read(*a)

    def tell(self):
        return self._f.tell()

    def flush(self):
        return self._f.flush()

    def close(self):
        self._f.close()

    @property
    def closed(self):
        return self._f.closed


class LtiRequest(Request):
    """Flask's request whose uploaded parts stream into SniffedUpload when the view armed it."""

    upload_dir: Path | None = None
    upload_limit: int = 0

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if self.upload_dir is None:
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        upload = SniffedUpload(self.upload_dir, self.upload_limit)
        self.uploads = [*getattr(self, "uploads", []), upload]
        return upload
