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
from .m3u8 import MasterPlaylist, MediaPlaylist, PlaylistError, Segment, parse_playlist, pick_variant
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


def check_playable(playlist: MediaPlaylist, label: str, *, aes128: bool = False) -> None:
    """Refuse streams Handouts cannot turn into one file: encrypted (unless AES-128 is allowed), live, or empty."""
    if playlist.encryption == "AES-128" and aes128:
        pass
    elif playlist.encryption != "NONE":
        raise InputError(f"{label} is encrypted ({playlist.encryption}); encrypted HLS streams are not supported "
                         "yet: download the recording as an MP4 and give that instead", source=label)
    if not playlist.ended:
        raise InputError(f"{label} is a live stream that is still going (its playlist has no EXT-X-ENDLIST); "
                         "try again once the recording has finished and been published", source=label)
    if not playlist.segments:
        raise CorruptMedia(label, f"{label} lists no segments; check that the recording finished processing")


def _decrypt_aes128(data: bytes, key: bytes, iv: bytes, what: str, label: str) -> bytes:
    """AES-128-CBC with PKCS#7 padding (RFC 8216 section 5.2)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(data) % 16:
        raise CorruptMedia(label, f"{what} is not a whole number of AES blocks ({len(data)} bytes); the stream is "
                                  "damaged or the key is wrong")
    plain = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    body = plain.update(data) + plain.finalize()
    unpad = padding.PKCS7(128).unpadder()
    try:
        return unpad.update(body) + unpad.finalize()
    except ValueError:
        raise CorruptMedia(label, f"{what} does not decrypt with its key (bad padding); the key may have "
                                  "expired: try again") from None


def _segment_key(session: HttpSession, seg: Segment, keys: dict[str, bytes], label: str) -> bytes:
    uri = seg.key.uri
    if uri not in keys:
        body = session.get_bytes(uri, f"the stream key of {label} ({display_url(uri)})", limit=4096)
        if len(body) != 16:
            raise InputError(f"the stream key of {label} is {len(body)} bytes, not 16 (an AES-128 key): the "
                             "server probably answered a sign-in page; check the account's access", source=label)
        keys[uri] = body
    return keys[uri]


def fetch_hls(session: HttpSession, url: str, text: str, dest_dir: Path, label: str, *,
              progress: Progress, cancel_check: CancelCheck, aes128: bool = False) -> Path:
    """Download the stream behind a playlist into an MP4 under a temporary name in dest_dir; returns that path.

    With `aes128`, segments encrypted with AES-128 are decrypted with keys fetched through `session` (whose
    client carries any cookie the key URL needs; the key never touches the disk).
    """
    media_url, playlist = resolve_media_playlist(session, url, text, label)
    check_playable(playlist, label, aes128=aes128)
    keys: dict[str, bytes] = {}
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
                if seg.key is not None and seg.key.method == "AES-128":
                    key = _segment_key(session, seg, keys, label)
                    with PartFile(dest_dir, f"segment-{i}", hashing=False) as one:
                        session.download(seg.uri, one, what, resume=False, byterange=seg.byterange)
                        one.close()
                        data = one.tmp.read_bytes()
                    raw.write(_decrypt_aes128(data, key, seg.key.iv or seg.sequence.to_bytes(16, "big"), what,
                                              label))
                else:
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
