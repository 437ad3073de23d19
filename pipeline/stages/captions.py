"""Stage 2: the transcript, from the best source there is (sidecar, embedded track, speech recognition)."""

from __future__ import annotations

from pathlib import Path

from ..captions import get_captions
from ..context import StageContext
from ..results import CaptionsResult, FetchResult
from ..types import MediaInfo


def run(ctx: StageContext) -> CaptionsResult:
    """Find or make the captions; a silent video yields none, with a warning."""
    fetched = ctx.result(FetchResult)
    # a recording in several streams (Panopto) may carry the voice in another stream than the slides
    video = ctx.local(fetched.audio_key or fetched.video_key)
    media = fetched.audio_media if fetched.audio_key else fetched.media
    sidecar = None
    if fetched.captions_key:
        key = fetched.captions_key
        sidecar = ctx.local(key, "captions" + (Path(key).suffix or ".srt"))
    openai_client = None
    if ctx.settings.openai_api_key is not None:
        from openai import OpenAI

        openai_client = OpenAI(api_key=ctx.settings.openai_api_key.get_secret_value(),
                               base_url=ctx.settings.openai_base_url, timeout=ctx.settings.openai_timeout,
                               max_retries=0)
    result = get_captions(video, MediaInfo.from_json(media), ctx.settings, sidecar=sidecar,
                          progress=ctx.progress, cancel_check=ctx.check_cancel, openai_client=openai_client)
    for w in result.warnings:
        ctx.warn(w)
    if result.source == "sidecar" and fetched.captions_source and not ctx.options.get("captions_key"):
        result.source = fetched.captions_source   # the platform's own captions (Panopto), not a file given
    # machine/recogniser let the handout tell students the captions are machine-heard.
    return CaptionsResult(source=result.source, machine=result.machine, recogniser=result.recogniser,
                          cues=[c.to_json() for c in result.cues])
