"""A Panopto session brought in: its streams downloaded, and its own captions and slide images when it has them.

Runs inside the fetch stage, with one `PanoptoClient` whose cookie lives only as long as this call. The screen
(or secondary) stream is the video for slide finding; the podcast or camera stream gives the voice, fetched too
only when Panopto has no captions to spare speech recognition the trouble. MP4s are resumed with Range; HLS
streams may be AES-128 encrypted with keys behind the cookie.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..errors import NotAVideo, SourceUnavailable
from ..media import probe
from ..settings import Settings
from ..sources.fetch import FetchedSource
from ..sources.files import PartFile, hash_file, remove_quietly, suffix_for_format
from ..sources.hls import fetch_hls
from ..sources.http import HttpSession
from ..types import CancelCheck, Cue, Progress, no_cancel, no_progress
from .client import (Delivery, PanoptoClient, PanoptoForbidden, PanoptoLoginPage, PanoptoSessionNotFound, SessionInfo, Stream,
                     download_slot, language_name, language_order)
from .links import PanoptoLink
from .servers import PanoptoServer


@dataclass
class PanoptoSlide:
    start: float
    end: float
    image: Path


@dataclass
class PanoptoFetched:
    """What a Panopto session gave: the slides video, maybe a separate voice, captions, slides, its name."""

    info: SessionInfo
    delivery: Delivery
    video: FetchedSource
    video_stream: Stream
    audio: FetchedSource | None = None
    audio_stream: Stream | None = None
    captions: list[Cue] = field(default_factory=list)
    caption_language: str | None = None
    slides: list[PanoptoSlide] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.info.name or self.delivery.name


def _download(client: PanoptoClient, stream: Stream, dest_dir: Path, stem: str, settings: Settings,
              progress: Progress, cancel_check: CancelCheck) -> FetchedSource:
    label = f"the {stream.tag.lower() or 'video'} stream of the Panopto session"
    session = HttpSession(settings, client.http, label, cancel_check, client.guard)
    folder = dest_dir / stem
    folder.mkdir(parents=True, exist_ok=True)

    def on_bytes(done: int, total: int | None) -> None:
        progress(min(0.9, 0.9 * done / total) if total else 0.0, f"downloaded {done / 2**20:.0f} MB of {stem}")

    try:
        with download_slot(client.host, settings.panopto_downloads_per_host, cancel_check):
            with PartFile(folder, "download", hashing=True) as part:
                got = session.download(stream.url, part, label, sniff_head=True, on_bytes=on_bytes)
                if got.playlist is None:
                    part.close()
                    media = probe(part.tmp, label)
                    final = part.commit(folder / (stem + suffix_for_format(media.format_name)))
                    return FetchedSource(final, part.sha256, part.size, final.name, "panopto", media)
            mp4 = fetch_hls(session, got.url, got.playlist, folder, label, progress=progress,
                            cancel_check=cancel_check, aes128=True)
    except SourceUnavailable as e:
        if e.status not in (401, 403):
            raise
        raise PanoptoForbidden(f"Panopto refused to let this account download {label} ({e.status}): downloads "
                               "may be switched off for this recording; ask its owner to allow downloads (or to "
                               "give you access), then send the link again.", source=client.host) from None
    except NotAVideo:
        raise PanoptoLoginPage(f"Panopto sent a web page (most likely its sign-in page) instead of {label}: the "
                               "linked account may not download this recording. Connect your Panopto account "
                               "again, or ask the owner to allow downloads, and send the link again.",
                               source=client.host) from None
    try:
        media = probe(mp4, label)
        final = folder / f"{stem}.mp4"
        os.replace(mp4, final)
    finally:
        remove_quietly(mp4)
    sha, size = hash_file(final, cancel_check)
    return FetchedSource(final, sha, size, final.name, "panopto", media)


def fetch_panopto(link: PanoptoLink, server: PanoptoServer, bearer: str, dest_dir: Path, settings: Settings, *,
                  tenant: str = "", user: str | None = None, progress: Progress = no_progress,
                  cancel_check: CancelCheck = no_cancel, transport: httpx.BaseTransport | None = None,
                  ) -> PanoptoFetched:
    """Look the session up, sign in for the player, take captions and slides, download the streams needed."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with PanoptoClient(server, settings, bearer, tenant=tenant, user=user, cancel_check=cancel_check,
                       transport=transport) as client:
        progress(0.02, "looking the session up in Panopto")
        try:
            info = client.session(link.session_id)
        except PanoptoSessionNotFound as e:
            if link.by != "tid":
                raise
            raise PanoptoSessionNotFound(f"{e.message} The link names it by `tid=`, which is not always the "
                                         "session's own id: open the recording in Panopto and send the link that "
                                         "has `?id=` in it (Share, or the address bar of the viewer).",
                                         source=client.host, session_id=link.session_id) from None
        delivery = client.delivery(link.session_id)
        captions: list[Cue] = []
        caption_language = None
        for lang in language_order(delivery.languages, settings.panopto_caption_language,
                                   settings.caption_language):
            cues = client.captions(link.session_id, lang)
            if cues:   # a listed track may be blank: try the next language
                captions, caption_language = cues, language_name(lang)
                break
        if not captions:
            captions, caption_language = client.srt_captions(link.session_id)
        slides: list[PanoptoSlide] = []
        if delivery.slides:
            folder = dest_dir / "panopto-slides"
            folder.mkdir(parents=True, exist_ok=True)
            length = delivery.duration or info.duration or 0.0
            for i, slide in enumerate(delivery.slides):
                cancel_check()
                data = client.slide_image(slide)
                path = folder / f"slide-{i + 1:03d}.png"
                path.write_bytes(data)
                nxt = delivery.slides[i + 1].time if i + 1 < len(delivery.slides) else max(length, slide.time + 1)
                slides.append(PanoptoSlide(slide.time, max(nxt, slide.time + 0.5), path))
            progress(0.1, f"took {len(slides)} slides from Panopto")
        video_stream = delivery.slides_stream()
        video = _download(client, video_stream, dest_dir, "video", settings,
                          lambda f, m="": progress(0.1 + 0.6 * f, m), cancel_check)
        audio = audio_stream = None
        wanted = delivery.audio_stream()
        if not captions and wanted is not None and wanted is not video_stream:
            audio_stream = wanted
            audio = _download(client, wanted, dest_dir, "voice", settings,
                              lambda f, m="": progress(0.7 + 0.25 * f, m), cancel_check)
    progress(1.0, "fetched the Panopto session")
    return PanoptoFetched(info, delivery, video, video_stream, audio, audio_stream, captions, caption_language,
                          slides)


__all__ = ["PanoptoFetched", "PanoptoSlide", "fetch_panopto"]
