"""The one entry to the sources: turn what a user gave (a path, a video link, an HLS link) into a checked video file."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from ..errors import InputError
from ..media import probe
from ..settings import Settings
from ..types import CancelCheck, MediaInfo, Progress, no_cancel, no_progress
from .files import PartFile, hash_file, place_copy, remove_quietly, suffix_for_format
from .hls import fetch_hls
from .http import USER_AGENT, HttpSession
from .local import check_readable, find_sidecar
from .netguard import UrlGuard, display_url, pinned_transport


@dataclass
class FetchedSource:
    """A fetched and probed video inside the fetch folder, and where it came from."""

    path: Path
    sha256: str
    size: int
    original_name: str
    kind: str                      # "file" | "http" | "hls"
    media: MediaInfo
    sidecar_captions: Path | None = None

    def to_json(self) -> dict:
        """Plain JSON for the stage checkpoint."""
        return {"path": str(self.path), "sha256": self.sha256, "size": self.size,
                "original_name": self.original_name, "kind": self.kind, "media": self.media.to_json(),
                "sidecar_captions": str(self.sidecar_captions) if self.sidecar_captions else None}

    @classmethod
    def from_json(cls, d: dict) -> "FetchedSource":
        """Rebuild from `to_json` output."""
        return cls(Path(d["path"]), d["sha256"], int(d["size"]), d["original_name"], d["kind"],
                   MediaInfo.from_json(d["media"]),
                   Path(d["sidecar_captions"]) if d.get("sidecar_captions") else None)


def fetch_source(source: str, dest_dir: Path, settings: Settings, *, progress: Progress = no_progress,
                 cancel_check: CancelCheck = no_cancel, client: httpx.Client | None = None) -> FetchedSource:
    """Bring a local file, a video URL or an HLS playlist URL into dest_dir as one checked video file."""
    text = (source or "").strip()
    if not text:
        raise InputError("no source was given: give the path of a video file or an http(s) link to one")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return _fetch_http(text, dest_dir, settings, progress, cancel_check, client)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InputError(f"{text} names a file on another machine ({parts.netloc}); copy it here or give an "
                             "http(s) link", source=text)
        return _fetch_local(Path(url2pathname(unquote(parts.path))), text, dest_dir, settings, progress,
                            cancel_check)
    path = Path(text).expanduser()
    # A one-letter "scheme" is a Windows drive; a path that exists wins over any reading as a URL.
    if len(scheme) > 1 and not path.exists():
        raise InputError(f"{display_url(text) if parts.netloc else text}: {scheme}:// links are not supported; "
                         "give an http(s) link or a file path", source=text)
    return _fetch_local(path, text, dest_dir, settings, progress, cancel_check)


def _fetch_local(path: Path, source: str, dest_dir: Path, settings: Settings, progress: Progress,
                 cancel_check: CancelCheck) -> FetchedSource:
    check_readable(path, source)
    # Probe the original first: refusing a 2 GB HTML file should not cost a 2 GB copy.
    media = probe(path, path.name)
    final = dest_dir / ("source" + suffix_for_format(media.format_name))
    progress(0.3, "checked the video; placing it in the work folder")
    sha, size = place_copy(path, dest_dir, final, cancel_check)
    sidecar = None
    found = find_sidecar(path, settings.caption_language)
    if found is not None:
        sidecar = dest_dir / ("captions" + found.suffix.lower())
        if found.resolve() != sidecar.resolve():
            tmp = dest_dir / f".{sidecar.name}.part"
            try:
                shutil.copyfile(found, tmp)
                os.replace(tmp, sidecar)
            except BaseException:
                remove_quietly(tmp, final)
                raise
    progress(1.0, f"fetched {path.name}")
    return FetchedSource(final, sha, size, path.name, "file", media, sidecar)


def _fetch_http(url: str, dest_dir: Path, settings: Settings, progress: Progress, cancel_check: CancelCheck,
                client: httpx.Client | None) -> FetchedSource:
    label = display_url(url)
    own_client = client is None
    guard = UrlGuard(settings.allow_private_urls)
    if client is None:  # connects only where the guard looked (DNS rebinding finds no second lookup)
        client = httpx.Client(timeout=settings.http_timeout, headers={"User-Agent": USER_AGENT},
                              transport=pinned_transport(guard))
    try:
        session = HttpSession(settings, client, label, cancel_check, guard)

        def on_bytes(done: int, total: int | None) -> None:
            mb = done / 2**20
            if total:
                progress(min(0.9, 0.9 * done / total), f"downloaded {mb:.0f} of {total / 2**20:.0f} MB")
            else:
                progress(0.0, f"downloaded {mb:.0f} MB")

        with PartFile(dest_dir, "download", hashing=True) as part:
            got = session.download(url, part, label, sniff_head=True, on_bytes=on_bytes)
            if got.playlist is None:
                part.close()
                progress(0.92, "checking the video")
                media = probe(part.tmp, label)
                final = part.commit(dest_dir / ("source" + suffix_for_format(media.format_name)))
                progress(1.0, "fetched the video")
                return FetchedSource(final, part.sha256, part.size, got.filename, "http", media)
        mp4 = fetch_hls(session, got.url, got.playlist, dest_dir, label, progress=progress, cancel_check=cancel_check)
        try:
            media = probe(mp4, label)
            final = dest_dir / "source.mp4"
            os.replace(mp4, final)
        finally:
            remove_quietly(mp4)
        sha, size = hash_file(final, cancel_check)
        stem = unquote(urlsplit(got.url).path.rstrip("/").rsplit("/", 1)[-1]).rsplit(".", 1)[0] or "stream"
        progress(1.0, "fetched the stream")
        return FetchedSource(final, sha, size, f"{stem}.mp4", "hls", media)
    finally:
        if own_client:
            client.close()


__all__ = ["FetchedSource", "fetch_source"]
