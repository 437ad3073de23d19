"""Stage 1: bring the recording in, check it is a video, store it once by content hash."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from ..captions import write_srt
from ..context import StageContext
from ..crypto import cipher_for
from ..errors import InputError
from ..panopto.links import PanoptoFolderLink, PanoptoLink, looks_like_panopto, parse_panopto_link
from ..results import FetchResult
from ..sources import fetch_source
from ..storage import source_key


def _title_from_name(name: str) -> str:
    stem = Path(name).stem
    words = re.sub(r"[_\-.]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Lecture handout"


def run(ctx: StageContext) -> FetchResult:
    """Download or copy the source, probe it, store it, and note any sidecar captions."""
    source = ctx.source
    if ctx.options.get("sealed_source"):  # the link with its credentials, kept encrypted until now
        source = cipher_for(ctx.settings, "sources").decrypt(ctx.options["sealed_source"])
    incoming = ctx.workdir / "incoming"
    link = _panopto_link(source)
    if link is not None and _through_panopto(ctx, link):
        return _fetch_panopto(ctx, link, incoming)
    if source.startswith("storage:"):
        # an upload that an adapter already put in storage
        key = source[len("storage:"):]
        local = ctx.local(key, Path(ctx.options.get("original_name") or key).name)
        source = str(local)
    fetched = fetch_source(source, incoming, ctx.settings, progress=ctx.progress, cancel_check=ctx.check_cancel)
    ctx.check_cancel()
    suffix = fetched.path.suffix.lower() or ".mp4"
    key = source_key(ctx.tenant, fetched.sha256, suffix)
    if not ctx.storage.exists(key):
        ctx.storage.put_file(key, fetched.path, "video/mp4" if suffix == ".mp4" else "application/octet-stream")
        ctx.created_keys.append(key)
    # keep the local copy for later stages on this worker; others fetch it from storage
    cached = ctx.workdir / "cache" / Path(key).name
    cached.parent.mkdir(parents=True, exist_ok=True)
    if not cached.exists():
        fetched.path.replace(cached)

    captions_key = ctx.options.get("captions_key")
    if fetched.sidecar_captions is not None and not captions_key:
        rec = ctx.save_artifact(fetched.sidecar_captions, "captions_input",
                                "captions-input" + fetched.sidecar_captions.suffix.lower())
        captions_key = rec["storage_key"]
    ctx.progress(1.0, "stored")
    return FetchResult(video_key=key, sha256=fetched.sha256, size=fetched.size, kind=fetched.kind,
                       original_name=fetched.original_name, media=fetched.media.to_json(), captions_key=captions_key,
                       title=ctx.options.get("title") or _title_from_name(fetched.original_name))


def _panopto_link(source: str) -> PanoptoLink | None:
    """The Panopto session a source names; None for other sources and for plain video files on Panopto-named hosts."""
    if not looks_like_panopto(source):
        return None
    try:
        return parse_panopto_link(source)
    except PanoptoFolderLink:
        raise
    except InputError:
        if Path(urlsplit(source).path).suffix.lower() in (".mp4", ".m4v", ".mov", ".webm", ".m3u8"):
            return None   # a file that merely sits on a host with "panopto" in its name
        raise


def _through_panopto(ctx: StageContext, link: PanoptoLink) -> bool:
    """A Panopto link goes through Panopto's interfaces; a bare podcast file with no server set up stays plain HTTP."""
    servers = ctx.panopto.servers(ctx.tenant) if ctx.panopto is not None else []
    if servers or link.kind != "podcast":
        if ctx.panopto is None:
            raise InputError(f"{link.netloc} is a Panopto server, but this Handouts process has no Panopto set up; "
                             "an administrator adds one with `handouts panopto add-server` or PANOPTO_HOST.")
        return True
    return False


def _store(ctx: StageContext, path: Path, content_type: str) -> str:
    """Put a fetched file in storage once, by content hash; keep the local copy for this worker's next stages."""
    from ..storage import sha256_file

    suffix = path.suffix.lower() or ".bin"
    key = source_key(ctx.tenant, sha256_file(path), suffix)
    if not ctx.storage.exists(key):
        ctx.storage.put_file(key, path, content_type)
        ctx.created_keys.append(key)
    cached = ctx.workdir / "cache" / Path(key).name
    cached.parent.mkdir(parents=True, exist_ok=True)
    if not cached.exists():
        path.replace(cached)
    return key


def _fetch_panopto(ctx: StageContext, link: PanoptoLink, incoming: Path) -> FetchResult:
    """The session through Panopto: as the person who asked, with the tenant's server, cookie in memory only."""
    from ..panopto.fetch import fetch_panopto

    server = ctx.panopto.server_for(ctx.tenant, link)
    got = ctx.panopto.with_bearer(ctx.tenant, ctx.owner, server, lambda bearer: fetch_panopto(
        link, server, bearer, incoming, ctx.settings, tenant=ctx.tenant, user=ctx.owner, progress=ctx.progress,
        cancel_check=ctx.check_cancel))
    ctx.check_cancel()
    video_key = _store(ctx, got.video.path, "video/mp4")
    out: dict = {"video_key": video_key, "sha256": got.video.sha256, "size": got.video.size, "kind": "panopto",
                 "original_name": got.video.original_name, "media": got.video.media.to_json(),
                 "captions_key": ctx.options.get("captions_key")}
    if got.audio is not None:
        out["audio_key"] = _store(ctx, got.audio.path, "video/mp4")
        out["audio_media"] = got.audio.media.to_json()
    if got.captions and not out["captions_key"]:
        srt = write_srt(got.captions, incoming / "panopto-captions.srt")
        out["captions_key"] = ctx.save_artifact(srt, "captions_input", "captions-input.srt")["storage_key"]
        out["captions_source"] = "panopto"
    if got.slides:
        out["slides_source"] = "panopto"
        out["panopto_slides"] = [{"start": sl.start, "end": sl.end, "key": _store(ctx, sl.image, "image/png")}
                                 for sl in got.slides]
    name = got.name
    date = got.info.date
    session_title = f"{name} ({date})" if name and date and date not in name else name
    out.update({"session_title": session_title or None,
                "title": ctx.options.get("title") or session_title or _title_from_name(got.video.original_name),
                "panopto": {"host": server.netloc, "session_id": link.session_id, "session_name": name,
                            "session_date": date, "duration": got.info.duration or got.delivery.duration,
                            "video_stream": got.video_stream.tag or "PODCAST",
                            "audio_stream": (got.audio_stream.tag or "PODCAST") if got.audio_stream else None,
                            "caption_language": got.caption_language,
                            "captions": "panopto" if got.captions else None,
                            "slides": "panopto" if got.slides else None}})
    ctx.progress(1.0, "stored")
    return FetchResult.model_validate(out)
