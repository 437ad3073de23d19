"""Stage 1: bring the recording in, check it is a video, store it once by content hash."""

from __future__ import annotations

import re
from pathlib import Path

from ..context import StageContext
from ..crypto import cipher_for
from ..sources import fetch_source
from ..storage import source_key


def _title_from_name(name: str) -> str:
    stem = Path(name).stem
    words = re.sub(r"[_\-.]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Lecture handout"


def run(ctx: StageContext) -> dict:
    """Download or copy the source, probe it, store it, and note any sidecar captions."""
    source = ctx.source
    if ctx.options.get("sealed_source"):  # the link with its credentials, kept encrypted until now
        source = cipher_for(ctx.settings, "sources").decrypt(ctx.options["sealed_source"])
    incoming = ctx.workdir / "incoming"
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
    return {"video_key": key, "sha256": fetched.sha256, "size": fetched.size, "kind": fetched.kind,
            "original_name": fetched.original_name, "media": fetched.media.to_json(),
            "captions_key": captions_key,
            "title": ctx.options.get("title") or _title_from_name(fetched.original_name)}
