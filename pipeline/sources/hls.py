"""HLS streams: follow the playlist to its best rendition, fetch the segments in order into one file, remux to MP4.

Segments are appended to a single file on disk (TS segments concatenate into a valid TS; fMP4 segments follow
their init section), then copied into MP4 without re-encoding.
"""

from __future__ import annotations

from pathlib import Path

import av

from ..errors import CorruptMedia, InputError, SourceNotFound
from ..media import remux_to_mp4
from ..types import CancelCheck, Progress
from .files import PartFile, remove_quietly
from .http import HttpSession
from .m3u8 import MasterPlaylist, MediaPlaylist, PlaylistError, parse_playlist, pick_variant
from .netguard import display_url

_MAX_MASTER_DEPTH = 3


def resolve_media_playlist(session: HttpSession, url: str, text: str, label: str) -> tuple[str, MediaPlaylist]:
    """Follow master playlists down to a media playlist; returns its URL and parsed form."""
    for _ in range(_MAX_MASTER_DEPTH):
        try:
            playlist = parse_playlist(text, url)
        except PlaylistError as e:
            raise CorruptMedia(label, f"the playlist at {display_url(url)} cannot be read: {e}; check that the "
                                      "link is the stream's .m3u8 address") from None
        if isinstance(playlist, MediaPlaylist):
            return url, playlist
        assert isinstance(playlist, MasterPlaylist)
        url = pick_variant(playlist.variants).uri
        text = session.get_text(url, f"the stream playlist {display_url(url)}")
    raise CorruptMedia(label, f"{label} nests master playlists more than {_MAX_MASTER_DEPTH} deep; "
                              "give the address of one rendition's playlist")


def check_playable(playlist: MediaPlaylist, label: str) -> None:
    """Refuse streams Handouts cannot turn into one file: encrypted, still live, or empty."""
    if playlist.encryption != "NONE":
        raise InputError(f"{label} is encrypted ({playlist.encryption}); encrypted HLS streams are not supported "
                         "yet: download the recording as an MP4 and give that instead", source=label)
    if not playlist.ended:
        raise InputError(f"{label} is a live stream that is still going (its playlist has no EXT-X-ENDLIST); "
                         "try again once the recording has finished and been published", source=label)
    if not playlist.segments:
        raise CorruptMedia(label, f"{label} lists no segments; check that the recording finished processing")


def fetch_hls(session: HttpSession, url: str, text: str, dest_dir: Path, label: str, *,
              progress: Progress, cancel_check: CancelCheck) -> Path:
    """Download the stream behind a playlist into an MP4 under a temporary name in dest_dir; returns that path."""
    media_url, playlist = resolve_media_playlist(session, url, text, label)
    check_playable(playlist, label)
    segments = playlist.segments
    n = len(segments)
    fmp4 = any(s.init for s in segments)
    out = Path(dest_dir) / ".source.mp4.part"
    with PartFile(dest_dir, "segments" + (".mp4" if fmp4 else ".ts"), hashing=False) as raw:
        last_init = None
        for i, seg in enumerate(segments, 1):
            cancel_check()
            if seg.init is not None and seg.init != last_init:
                session.download(seg.init.uri, raw, f"the init section of {label} ({display_url(seg.init.uri)})",
                                 resume=False, byterange=seg.init.byterange)
                last_init = seg.init
            what = f"segment {i} of {n} of {label} ({display_url(seg.uri)})"
            try:
                session.download(seg.uri, raw, what, resume=False, byterange=seg.byterange)
            except SourceNotFound:
                raise CorruptMedia(label, f"the playlist lists a segment that is missing: {what} answered 404; "
                                          "the published stream is incomplete, ask its owner to republish it "
                                          "or give the MP4 instead") from None
            progress(0.9 * i / n, f"fetched segment {i} of {n}")
        raw.close()
        try:
            remux_to_mp4(raw.tmp, out)
        except av.FFmpegError as e:
            remove_quietly(out)
            raise CorruptMedia(label, f"the segments of {label} do not join into one video ({e.strerror or e}); "
                                      "the stream may be damaged; give the MP4 download instead") from None
        except BaseException:
            remove_quietly(out)
            raise
    progress(0.95, "joined the segments into one MP4")
    return out
