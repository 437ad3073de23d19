"""SRT and WebVTT files: read them into Cues (format told by content, not by extension) and write them back.

Real caption files are messy: byte-order marks, Windows or old Mac line ends, missing cue numbers, styling
tags, cue settings after the timestamps, lines holding a single space, rolling auto-captions that repeat the
line before. The parser forgives all of that, and stops with the file's name and the line number only where a
timing cannot be read at all.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Iterable

from ..errors import BadCaptions
from ..types import Cue
from .rolling import merge_rolling

_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?"
_TIMING = re.compile(r"^\s*" + _TS + r"\s*-->\s*" + _TS + r"(?:\s+.*)?\s*$")
# <i>, </b>, <c.yellow>, <v Speaker>, <font color="red">, <00:00:01.000>; "x < y > z" is text, not a tag.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?>")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")  # {\an8}, {\i1}
_VTT_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


def parse_subtitles(path: Path) -> list[Cue]:
    """Read an SRT or WebVTT file into cues sorted by start; raise BadCaptions naming the file and line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BadCaptions(str(path), f"cannot read the caption file {path.name}: {e.strerror or e}") from None
    return parse_subtitle_text(_decode(raw), source=path.name)


def parse_subtitle_text(text: str, *, source: str = "captions") -> list[Cue]:
    """Parse SRT or WebVTT text; `source` names the file in error messages."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((ln.strip() for ln in lines if ln.strip()), None)
    if first is None:
        return []
    is_vtt = first.startswith("WEBVTT")
    if not is_vtt and not any("-->" in ln for ln in lines):
        raise BadCaptions(source, f"{source}: not an SRT or WebVTT caption file: no line has a timing like "
                          "'00:00:01,000 --> 00:00:04,000'. Give an .srt or .vtt file, or none.")
    cues: list[Cue] = []
    for number, block in _blocks(lines):
        cue = _parse_block(block, number, source, is_vtt)
        if cue is not None:
            cues.append(cue)
    cues.sort(key=lambda c: (c.start, c.end))
    return merge_rolling(cues)


def _decode(raw: bytes) -> str:
    # UTF-8 with or without BOM is the norm; UTF-16 comes with its BOM; older Windows tools write cp1252.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _blocks(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """Blank-line separated blocks, each with the 1-based number of its first line.

    An empty line always ends a block. A line of only spaces ends one too, except inside a cue's text when
    the next line is more text (YouTube files hold " " as a cue's first text line): then it is kept as an
    empty text line.
    """
    block: list[str] = []
    start = 0
    for i, line in enumerate(lines, 1):
        if line.strip():
            if not block:
                start = i
            block.append(line)
        elif block and line and _inside_cue_text(block, lines, i):
            block.append("")
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _inside_cue_text(block: list[str], lines: list[str], line_no: int) -> bool:
    """True when the whitespace-only line `line_no` (1-based) sits between text lines of one cue."""
    if not any("-->" in ln for ln in block[:3]):
        return False                          # a NOTE, a header, or a broken block: a blank ends it
    after = lines[line_no:line_no + 2]        # the next line, and the one after it
    if not after or not after[0].strip():
        return False
    if "-->" in after[0] or (len(after) > 1 and "-->" in after[1]):
        return False                          # the next cue (with or without its number) starts there
    return True


def _parse_block(block: list[str], first_line: int, source: str, is_vtt: bool) -> Cue | None:
    head = block[0].strip()
    timing_at = next((i for i, ln in enumerate(block[:3]) if "-->" in ln), None)
    if is_vtt and timing_at is None and (head.startswith("WEBVTT") or head.split(" ", 1)[0] in _VTT_SKIPPED_BLOCKS):
        return None
    if timing_at is None:
        raise BadCaptions(source, f"{source}, line {first_line}: expected a timing line like "
                          f"'00:00:01,000 --> 00:00:04,000', found '{_clip(head)}'")
    line_no = first_line + timing_at
    if timing_at > 1:
        raise BadCaptions(source, f"{source}, line {first_line + 1}: unexpected text '{_clip(block[1])}' "
                          "between the cue number and its timing")
    m = _TIMING.match(block[timing_at])
    if not m:
        raise BadCaptions(source, f"{source}, line {line_no}: cannot read the timing "
                          f"'{_clip(block[timing_at])}'; expected e.g. '00:00:01,000 --> 00:00:04,000'")
    start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])
    if end < start:
        raise BadCaptions(source, f"{source}, line {line_no}: the cue ends ({_clip(block[timing_at])}) before "
                          "it starts; fix the timing or remove the cue")
    text = clean_cue_text(" ".join(block[timing_at + 1:]))
    return Cue(start, end, text) if text else None


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str | None) -> float:
    ms = int((millis or "0").ljust(3, "0"))
    return round(int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + ms / 1000, 3)


def _clip(s: str, n: int = 60) -> str:
    s = s.strip()
    return s if len(s) <= n else s[:n - 1] + "…"


def clean_cue_text(text: str) -> str:
    """Cue text without styling tags or entities, lines joined by single spaces."""
    text = _ASS_OVERRIDE.sub("", text.replace("\\N", " ").replace("\\n", " "))
    text = html.unescape(_TAG.sub("", text))
    return " ".join(text.split())


def _ts(t: float, sep: str) -> str:
    ms = max(0, int(round(t * 1000)))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def _safe_lines(text: str) -> str:
    # A blank line would end the cue and an arrow would read as a timing: keep the file parseable.
    lines = [ln.strip() for ln in text.replace("-->", "->").splitlines()]
    return "\n".join(ln for ln in lines if ln) or "…"


def write_srt(cues: Iterable[Cue], path: Path) -> Path:
    """Write cues as a numbered SRT file (UTF-8)."""
    blocks = [f"{i}\n{_ts(c.start, ',')} --> {_ts(c.end, ',')}\n{_safe_lines(c.text)}\n"
              for i, c in enumerate(cues, 1)]
    Path(path).write_text("\n".join(blocks), encoding="utf-8")
    return Path(path)


def write_vtt(cues: Iterable[Cue], path: Path) -> Path:
    """Write cues as a WebVTT file (UTF-8), escaping the characters WebVTT reserves."""
    blocks = ["WEBVTT\n"]
    for c in cues:
        text = _safe_lines(c.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{_ts(c.start, '.')} --> {_ts(c.end, '.')}\n{text}\n")
    Path(path).write_text("\n".join(blocks), encoding="utf-8")
    return Path(path)
