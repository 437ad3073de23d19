"""The container probe: decide by content whether a file is a usable video, and remux without re-encoding.

Names lie (an HTML viewer page saved as `lecture.mp4` is common), so `probe` looks at the first bytes and
then asks FFmpeg (through PyAV) to open and decode; each way of failing maps to one error with advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from .errors import CorruptMedia, NotAVideo, NoVideoStream, SourceNotFound
from .types import MediaInfo

TEXT_SUBTITLE_CODECS = frozenset({"mov_text", "subrip", "srt", "webvtt", "ass", "ssa", "text"})

# How far from the end the tail check starts, and how short of the stated end the last packet may stop.
_TAIL_SECONDS = 3.0
_TAIL_SLACK_SECONDS = 2.0
# A first frame that needs more packets than this is not coming (a broken stream, not a slow one).
_FIRST_FRAME_MAX_PACKETS = 2000
_REDOWNLOAD = "the download may have been cut short; download it again"


@dataclass(frozen=True)
class Looks:
    """What the first bytes of a file say it is: `kind` for decisions, `what` and `advice` for people."""

    kind: str      # empty | web | text | document | playlist | image | video | unknown
    what: str
    advice: str = ""


_VIEWER_PAGE = ("the link probably points to a viewer page, not the video file; use the direct video URL "
                "(a 'download' link) or download the recording itself")
_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


def sniff(head: bytes) -> Looks:
    """Name what a file looks like from its first few kilobytes."""
    if not head:
        return Looks("empty", "empty (0 bytes)", "nothing was saved; fetch or upload the recording again")
    if head[4:8] == b"ftyp":
        if head[8:12] in _IMAGE_BRANDS:
            return Looks("image", "an image (HEIF/AVIF)", "a still picture is not a lecture recording")
        return Looks("video", "an MP4/MOV video")
    if head[4:8] in (b"moov", b"mdat", b"free", b"wide", b"skip"):
        return Looks("video", "an MP4/MOV video")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Looks("video", "a Matroska/WebM video")
    if head[0] == 0x47 and (len(head) < 189 or head[188] == 0x47):
        return Looks("video", "an MPEG-TS video")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return Looks("video", "an AVI video")
    if head.startswith((b"FLV", b"OggS", b"\x30\x26\xb2\x75", b"\x00\x00\x01\xba")):
        return Looks("video", "a video")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Looks("image", "an image (PNG)", "a still picture is not a lecture recording")
    if head.startswith(b"\xff\xd8\xff"):
        return Looks("image", "an image (JPEG)", "a still picture is not a lecture recording")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Looks("image", "an image (GIF)", "a still picture is not a lecture recording")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Looks("image", "an image (WebP)", "a still picture is not a lecture recording")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return Looks("image", "an image (TIFF)", "a still picture is not a lecture recording")
    if head.startswith(b"%PDF-"):
        return Looks("document", "a PDF document", "Handouts needs the lecture recording, not the slides file")
    if head.startswith(b"PK\x03\x04"):
        return Looks("document", "a ZIP archive or Office document",
                      "Handouts needs the lecture recording itself; unpack it or export the video")
    return _sniff_text(head)


def _sniff_text(head: bytes) -> Looks:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still text.
        if e.start < len(head) - 4:
            return Looks("unknown", "in a format Handouts does not recognise")
        text = head[:e.start].decode("utf-8")
    if "\x00" in text:
        return Looks("unknown", "in a format Handouts does not recognise")
    start = text.lstrip("\ufeff \t\r\n")
    low = start[:2048].lower()
    if low.startswith("#extm3u"):
        return Looks("playlist", "an HLS playlist (.m3u8)", "give the playlist's URL so its segments can be fetched")
    if low.startswith(("<!doctype html", "<html")) or any(t in low for t in ("<html", "<head", "<body")):
        return Looks("web", "a web page (HTML)", _VIEWER_PAGE)
    if "<mpd" in low:
        return Looks("playlist", "a DASH manifest (.mpd)",
                     "DASH streams are not supported yet; use an MP4 download or an HLS (.m3u8) link")
    if low.startswith("<?xml") or low.startswith("<"):
        return Looks("document", "an XML document", _VIEWER_PAGE)
    if low.startswith(("{", "[")):
        return Looks("document", "a JSON document",
                     "the link probably points to an API answer; use the direct video URL")
    return Looks("text", "a text file", "give the video file itself")


def read_head(path: Path, size: int = 4096) -> bytes:
    """The first `size` bytes of a file."""
    with open(path, "rb") as f:
        return f.read(size)


def not_a_video(label: str, looks: Looks) -> NotAVideo:
    """The NotAVideo error for something that looks like `looks`."""
    advice = f": {looks.advice}" if looks.advice else ": give a video file (MP4, MOV, MKV, WebM, TS)"
    return NotAVideo(label, f"{label} is {looks.what}, not a video{advice}")


def probe(path: Path, label: str | None = None) -> MediaInfo:
    """Validate a video by its content and describe it; raises NotAVideo, NoVideoStream or CorruptMedia."""
    path = Path(path)
    label = label or path.name
    if not path.is_file():
        raise SourceNotFound(label, f"{label} does not exist (looked for {path}); check the path")
    looks = sniff(read_head(path))
    if looks.kind not in ("video", "unknown"):
        raise not_a_video(label, looks)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as e:
        if looks.kind == "video":
            raise CorruptMedia(label, f"{label} looks like {looks.what} but cannot be opened ({e.strerror or e}): "
                                      f"it is probably incomplete or damaged; {_REDOWNLOAD}") from None
        raise not_a_video(label, looks) from None
    with container:
        return _inspect(container, label)


def _inspect(container: av.container.InputContainer, label: str) -> MediaInfo:
    fmt = container.format.name
    if fmt.endswith("_pipe") or fmt in ("image2", "gif", "apng", "webp"):
        raise not_a_video(label, Looks("image", f"an image ({fmt.split('_')[0].upper()})",
                                       "a still picture is not a lecture recording"))
    videos = [s for s in container.streams.video
              if not (s.disposition & (av.stream.Disposition.attached_pic | av.stream.Disposition.still_image))]
    if not videos:
        raise NoVideoStream(label)
    vs = videos[0]
    cc = vs.codec_context
    try:
        _first_frame(container, vs, label)
        duration = _duration(container, vs)
        if duration is None or duration <= 0:
            raise CorruptMedia(label, f"{label} does not say how long it is and no timed frames were found; "
                                      f"{_REDOWNLOAD}")
        _check_tail(container, vs, duration, label)
    except av.FFmpegError as e:
        raise CorruptMedia(label, f"{label} cannot be decoded ({e.strerror or e}); {_REDOWNLOAD}") from None
    rate = vs.average_rate or vs.guessed_rate or vs.base_rate
    return MediaInfo(
        duration=round(float(duration), 3),
        width=int(cc.width),
        height=int(cc.height),
        fps=round(float(rate), 3) if rate else 0.0,
        video_codec=cc.name,
        has_audio=bool(container.streams.audio),
        subtitle_streams=sum(1 for s in container.streams.subtitles if s.codec_context.name in TEXT_SUBTITLE_CODECS),
        format_name=container.format.name,
    )


def _first_frame(container, vs, label: str) -> None:
    for n, packet in enumerate(container.demux(vs)):
        for _ in packet.decode():
            return
        if n > _FIRST_FRAME_MAX_PACKETS:
            break
    raise CorruptMedia(label, f"{label} has a video stream but not one frame of it can be decoded; {_REDOWNLOAD}")


def _duration(container, vs) -> float | None:
    if container.duration:
        return container.duration / av.time_base
    if vs.duration and vs.time_base:
        return float(vs.duration * vs.time_base)
    # Some recorders (browser MediaRecorder WebM) never write a duration: read the timestamps instead.
    container.seek(0)
    end = None
    for packet in container.demux(vs):
        if packet.pts is not None and packet.time_base:
            end = max(end or 0.0, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    return end


def _check_tail(container, vs, duration: float, label: str) -> None:
    """Seek near the end and read to it: a cut-off file has an index promising data that is not there."""
    start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
    stream_len = float(vs.duration * vs.time_base) if vs.duration and vs.time_base else duration
    expected_end = start + min(stream_len, duration)
    target = max(start, expected_end - _TAIL_SECONDS)
    container.seek(int(target / vs.time_base), stream=vs, backward=True)
    decoded = False
    last_end = None
    for packet in container.demux(vs):
        if packet.pts is None:
            continue
        if not decoded:
            decoded = any(True for _ in packet.decode())
        last_end = max(last_end or 0.0, float((packet.pts + (packet.duration or 0)) * vs.time_base))
    if last_end is None or last_end < expected_end - max(_TAIL_SLACK_SECONDS, 0.01 * duration):
        got = f"{last_end - start:.1f} s" if last_end is not None else "nothing"
        raise CorruptMedia(label, f"{label} should last {duration:.1f} s but its video stops at {got}; "
                                  f"{_REDOWNLOAD}")


def remux_to_mp4(src: Path, dst: Path) -> None:
    """Copy the streams of `src` into an MP4 at `dst` without re-encoding, dropping what MP4 cannot hold."""
    with av.open(str(src), metadata_errors="ignore") as inp:
        with av.open(str(dst), "w", format="mp4", options={"avoid_negative_ts": "make_zero"}) as out:
            supported = out.supported_codecs
            mapping = {}
            for s in inp.streams:
                wanted = s.type in ("video", "audio") or s.codec_context.name == "mov_text"
                if wanted and s.codec_context.name in supported:
                    mapping[s.index] = out.add_stream_from_template(s)
            if not any(s.type == "video" for s in mapping.values()):
                raise NoVideoStream(str(src), f"{src.name} has no video stream that fits in MP4; "
                                              "Handouts needs the recording that shows the screen")
            for packet in inp.demux([inp.streams[i] for i in mapping]):
                # Flush packets carry no data and no timestamps; the muxer rejects them.
                if packet.dts is None or packet.size == 0:
                    continue
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
