"""HLS playlists as plain data (RFC 8216): parsing and the variant picker, with no network in sight."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_AUDIO_ONLY_CODECS = ("mp4a", "ac-3", "ec-3", "opus", "flac", "mp3", "alac")


class PlaylistError(ValueError):
    """The text is not an HLS playlist Handouts can follow."""


@dataclass(frozen=True)
class Variant:
    """One rendition listed by a master playlist."""

    uri: str
    bandwidth: int = 0
    resolution: tuple[int, int] | None = None
    codecs: str = ""
    name: str = ""

    @property
    def has_video(self) -> bool:
        """False only when the playlist says the rendition is audio alone."""
        if self.resolution:
            return True
        if not self.codecs:
            return True
        return any(not c.strip().lower().startswith(_AUDIO_ONLY_CODECS) for c in self.codecs.split(","))


@dataclass(frozen=True)
class InitSection:
    """An EXT-X-MAP: the fMP4 header that precedes the media segments."""

    uri: str
    byterange: tuple[int, int] | None = None   # (length, offset)


@dataclass(frozen=True)
class SegmentKey:
    """An EXT-X-KEY in force for a segment: the method, where the key is, and the IV (None: the sequence number)."""

    method: str
    uri: str
    iv: bytes | None = None


@dataclass(frozen=True)
class Segment:
    """One media segment: where it is, how long it plays, and the init section it needs."""

    uri: str
    duration: float
    byterange: tuple[int, int] | None = None   # (length, offset)
    init: InitSection | None = None
    key: SegmentKey | None = None              # the encryption in force, when there is one
    sequence: int = 0                          # the media sequence number (the default AES-128 IV)


@dataclass
class MasterPlaylist:
    """A list of renditions of the same presentation."""

    variants: list[Variant] = field(default_factory=list)


@dataclass
class MediaPlaylist:
    """The segments of one rendition."""

    segments: list[Segment] = field(default_factory=list)
    ended: bool = False
    encryption: str = "NONE"   # the first EXT-X-KEY method other than NONE, if any

    @property
    def duration(self) -> float:
        """Sum of the segment durations, in seconds."""
        return sum(s.duration for s in self.segments)


def _attributes(text: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTR.findall(text)}


def _byterange(text: str, previous_end: dict[str, int], uri: str) -> tuple[int, int]:
    # Without "@offset" a sub-range starts where the previous one of the same resource ended.
    length, _, offset = text.partition("@")
    try:
        n = int(length)
        start = int(offset) if offset else previous_end.get(uri, 0)
    except ValueError:
        raise PlaylistError(f"bad EXT-X-BYTERANGE value '{text}'") from None
    previous_end[uri] = start + n
    return n, start


def _iv(text: str | None) -> bytes | None:
    if not text:
        return None
    digits = text[2:] if text.lower().startswith("0x") else text
    try:
        iv = bytes.fromhex(digits.rjust(32, "0"))
    except ValueError:
        raise PlaylistError(f"bad EXT-X-KEY IV '{text}'") from None
    if len(iv) != 16:
        raise PlaylistError(f"bad EXT-X-KEY IV '{text}' (not 16 bytes)")
    return iv


def parse_playlist(text: str, base_url: str) -> MasterPlaylist | MediaPlaylist:
    """Parse a master or media playlist; URIs come back absolute, resolved against `base_url`."""
    lines = [ln.strip() for ln in text.lstrip("\ufeff").splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or lines[0].upper() != "#EXTM3U":
        raise PlaylistError("it does not start with #EXTM3U")
    if any(ln.startswith("#EXT-X-STREAM-INF") for ln in lines):
        return _parse_master(lines, base_url)
    return _parse_media(lines, base_url)


def _parse_master(lines: list[str], base_url: str) -> MasterPlaylist:
    master = MasterPlaylist()
    pending: dict[str, str] | None = None
    for ln in lines[1:]:
        if ln.startswith("#EXT-X-STREAM-INF:"):
            pending = _attributes(ln.partition(":")[2])
        elif ln.startswith("#"):
            continue
        elif pending is not None:
            res = None
            if "x" in pending.get("RESOLUTION", ""):
                w, _, h = pending["RESOLUTION"].partition("x")
                if w.isdigit() and h.isdigit():
                    res = (int(w), int(h))
            bandwidth = pending.get("BANDWIDTH", "0")
            master.variants.append(Variant(urljoin(base_url, ln), int(bandwidth) if bandwidth.isdigit() else 0, res,
                                           pending.get("CODECS", ""), pending.get("NAME", "")))
            pending = None
    if not master.variants:
        raise PlaylistError("its master list names no streams")
    return master


def _parse_media(lines: list[str], base_url: str) -> MediaPlaylist:
    pl = MediaPlaylist()
    duration: float | None = None
    byterange: str | None = None   # resolved once the segment's URI is known
    init: InitSection | None = None
    key: SegmentKey | None = None
    sequence = 0
    ends: dict[str, int] = {}
    for ln in lines[1:]:
        tag, _, value = ln.partition(":")
        if tag == "#EXTINF":
            try:
                duration = float(value.split(",", 1)[0])
            except ValueError:
                raise PlaylistError(f"bad #EXTINF duration '{value}'") from None
        elif tag == "#EXT-X-BYTERANGE":
            byterange = value
        elif tag == "#EXT-X-KEY":
            attrs = _attributes(value)
            method = attrs.get("METHOD", "NONE").upper()
            if method != "NONE" and pl.encryption == "NONE":
                pl.encryption = method
            key = None if method == "NONE" else SegmentKey(method, urljoin(base_url, attrs.get("URI", "")),
                                                             _iv(attrs.get("IV")))
        elif tag == "#EXT-X-MEDIA-SEQUENCE":
            sequence = int(value) if value.strip().isdigit() else 0
        elif tag == "#EXT-X-MAP":
            attrs = _attributes(value)
            if "URI" not in attrs:
                raise PlaylistError("an EXT-X-MAP has no URI")
            uri = urljoin(base_url, attrs["URI"])
            init = InitSection(uri, _byterange(attrs["BYTERANGE"], {}, uri) if "BYTERANGE" in attrs else None)
        elif tag == "#EXT-X-ENDLIST" or (tag == "#EXT-X-PLAYLIST-TYPE" and value.strip().upper() == "VOD"):
            pl.ended = True
        elif ln.startswith("#"):
            continue
        else:
            uri = urljoin(base_url, ln)
            rng = _byterange(byterange, ends, uri) if byterange else None
            pl.segments.append(Segment(uri, duration if duration is not None else 0.0, rng, init, key, sequence))
            duration, byterange = None, None
            sequence += 1
    return pl


def pick_variant(variants: list[Variant]) -> Variant:
    """The best rendition to read slides from: video over audio-only, then most bandwidth, then most pixels."""
    if not variants:
        raise PlaylistError("no variants to choose from")
    with_video = [v for v in variants if v.has_video] or variants
    return max(with_video, key=lambda v: (v.bandwidth, (v.resolution[0] * v.resolution[1]) if v.resolution else 0))
