"""`/handout <url> [options]`: the text of a slash command read into a request, or a specific error.

Pure and fast (no network): it runs before the ack. The private-address check resolves DNS, so it lives in
`check_reachable`, called after the ack.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipeline.errors import InputError
from pipeline.panopto.links import PanoptoFolderLink, panopto_session_id, parse_panopto_link
from pipeline.sources.netguard import UrlGuard, check_host, display_url, split_link

EXAMPLE = "/handout https://media.example.edu/lectures/week3.mp4 --no-quiz --profile medical"
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".m3u8", ".ts", ".avi", ".mpg", ".mpeg"}
NOT_VIDEO_SUFFIXES = {
    ".html": "a web page", ".htm": "a web page", ".aspx": "a web page", ".php": "a web page",
    ".pdf": "a PDF document", ".ppt": "a slide deck", ".pptx": "a slide deck", ".key": "a slide deck",
    ".doc": "a document", ".docx": "a document", ".txt": "a text file", ".png": "an image", ".jpg": "an image",
    ".jpeg": "an image", ".gif": "an image", ".zip": "an archive", ".mp3": "an audio file (no slides to see)",
    ".m4a": "an audio file (no slides to see)", ".wav": "an audio file (no slides to see)",
}
PANOPTO_ACTIONS = ("connect", "disconnect", "status")
PAGE_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "drive.google.com", "zoom.us", "teams.microsoft.com")

HELP = (
    "*Make a handout from a lecture video*\n"
    "`/handout <video link> [options]`\n"
    "The link must lead straight to the video file (MP4, MOV, WebM), an HLS playlist (.m3u8), or a Panopto "
    "session (its Viewer or Embed link).\n"
    "*Options*\n"
    "• `--no-quiz`: leave the practice questions out of what is posted\n"
    "• `--no-ai`: slides and captions only, no study materials\n"
    "• `--profile NAME`: the setting profile for study materials (your default is set in the app's Home tab)\n"
    "• `--title \"Week 3: Cells\"`: the handout's title\n"
    "• `--paper a4` or `--paper letter`\n"
    "A Panopto recording's own link works too: the first time, connect your Panopto account (a button appears); "
    "`/handout panopto disconnect` unlinks it.\n"
    f"*Example*\n`{EXAMPLE}`\n"
    "Progress appears in the channel; the files arrive in the thread of that message."
)


@dataclass
class HandoutCommand:
    """What a user asked for: the link, and the job options the pipeline understands."""

    url: str = ""
    options: dict = field(default_factory=dict)
    help: bool = False
    panopto_session: str | None = None   # the link is a Panopto session page: fetched with the person's account
    panopto_action: str | None = None    # `/handout panopto disconnect|connect|status`


def usage_error(problem: str) -> InputError:
    """An InputError whose message says what was wrong and shows a working example."""
    return InputError(f"{problem}\nExample: `{EXAMPLE}` (see `/handout help`)")


def _unwrap(token: str) -> str:
    # With "escape links" on, Slack sends <https://x|label>; without it, the bare link.
    if token.startswith("<") and token.endswith(">"):
        token = token[1:-1].split("|", 1)[0]
    return token.replace("&amp;", "&")


def _flag_value(words: list[str], i: int, flag: str) -> str:
    if i + 1 >= len(words) or words[i + 1].startswith("--"):
        raise usage_error(f"`{flag}` needs a value after it")
    return words[i + 1]


def parse_command(text: str) -> HandoutCommand:
    """Read the command text; InputError (with an example) for anything malformed."""
    text = (text or "").strip()
    if not text:
        raise usage_error("The command is empty: give the link to a lecture video.")
    try:
        words = shlex.split(text.replace("\u201c", '"').replace("\u201d", '"'))
    except ValueError:
        raise usage_error("A quote is not closed: put the title in straight quotes, e.g. --title \"Week 3\".") from None
    if words and words[0].lower() in ("help", "--help", "-h", "?"):
        return HandoutCommand(help=True)
    if words and words[0].lower() == "panopto":
        action = words[1].lower() if len(words) > 1 else "status"
        if action not in PANOPTO_ACTIONS or len(words) > 2:
            raise usage_error(f"`/handout panopto {' '.join(words[1:])}` is not a Panopto command; use "
                              "`/handout panopto connect`, `/handout panopto disconnect` or `/handout panopto status`.")
        return HandoutCommand(panopto_action=action)
    cmd = HandoutCommand()
    urls: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--no-quiz":
            cmd.options["no_quiz"] = True
        elif w == "--no-ai":
            cmd.options["no_ai"] = True
        elif w in ("--profile", "--title", "--paper"):
            value = _flag_value(words, i, w)
            i += 1
            if w == "--profile":
                if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value):
                    raise usage_error(f"`{value}` is not a profile name (letters, digits, . _ - only).")
                cmd.options["profile"] = value
            elif w == "--title":
                cmd.options["title"] = value[:200]
            else:
                if value.lower() not in ("a4", "letter"):
                    raise usage_error(f"`--paper {value}` is not a paper size; use `a4` or `letter`.")
                cmd.options["paper"] = value.lower()
        elif w.startswith("--"):
            raise usage_error(f"`{w}` is not an option; known: --no-quiz, --no-ai, --profile, --title, --paper.")
        else:
            urls.append(_unwrap(w))
        i += 1
    if not urls:
        raise usage_error("No link given: put the video's link right after `/handout`.")
    if len(urls) > 1:
        raise usage_error(f"One video per command, but I read {len(urls)} words that are not options "
                          f"({', '.join('`' + u[:60] + '`' for u in urls[:3])}). Put a title in quotes.")
    cmd.url = check_link(urls[0])
    try:  # a session link, its embed or its podcast download: fetched through Panopto with the person's rights
        link = parse_panopto_link(cmd.url)
    except InputError:  # check_link let it through: a plain video file on a Panopto-looking host
        link = None
    if link is not None:
        cmd.panopto_session = link.session_id
    return cmd


def check_link(url: str) -> str:
    """The link if it may be a video; InputError naming the problem (not a link, a web page, Panopto…)."""
    try:
        parts = split_link(url)
    except InputError as e:
        raise usage_error(e.message) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        if "." in url and "/" in url and "://" not in url:
            raise usage_error(f"`{url[:80]}` has no https:// in front; paste the whole link.")
        raise usage_error(f"`{url[:80]}` is not a web link; give an http(s) link to a video.")
    try:
        check_host(parts.hostname, url)
    except InputError as e:
        raise usage_error(e.message) from None
    shown = display_url(url)
    if panopto_session_id(url)[0]:
        try:
            parse_panopto_link(url)   # a session link goes on; a folder or a link without an id is refused here
        except PanoptoFolderLink as e:
            raise usage_error(e.message) from None
        except InputError as e:
            if PurePosixPath(parts.path).suffix.lower() not in VIDEO_SUFFIXES:
                raise usage_error(e.message) from None
        return url   # a session, or a plain video file on a Panopto-named host
    host = parts.hostname.lower()
    if any(host == h or host.endswith("." + h) for h in PAGE_HOSTS):
        raise usage_error(f"{shown} is a video page on {host}, not a video file; Handouts needs a direct link "
                          "to the file (MP4 or HLS .m3u8).")
    what = NOT_VIDEO_SUFFIXES.get(PurePosixPath(parts.path).suffix.lower())
    if what:
        raise usage_error(f"{shown} looks like {what}, not a video; give the link to the lecture video itself.")
    return url


def check_reachable(url: str, allow_private: bool) -> None:
    """Refuse links into private or local networks unless HANDOUTS_ALLOW_PRIVATE_URLS (resolves DNS)."""
    UrlGuard(allow_private).check(url, display_url(url))
