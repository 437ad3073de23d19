"""Panopto links as people paste them: which session they name, on which server, or why they name none.

Shapes read (any host: `*.hosted.panopto.com`, `*.cloud.panopto.eu`, a university's own domain):
    …/Panopto/Pages/Viewer.aspx?id=GUID[&start=…&query=…]   the viewer
    …/Panopto/Pages/Embed.aspx?id=GUID  or  ?tid=GUID        the embedded player
    …/Panopto/Pages/Viewer.aspx?pid=PLAYLIST&id=GUID         a session inside a playlist
    …/Panopto/Podcast/Download/GUID.mp4?mediaTargetType=…    podcast and download links (id in the path)
    …/Panopto/Pages/Sessions/List.aspx#folderID="GUID"       a folder: refused, pick one recording
Pure: no network, no DNS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import InputError

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_SESSION_KEYS = ("id", "tid", "sessionid", "deliveryid")
_FOLDER_KEYS = ("folderid", "folder")


class PanoptoFolderLink(InputError):
    """The link names a folder, list or playlist, not one recording."""

    code = "panopto_folder"


@dataclass(frozen=True)
class PanoptoLink:
    """A Panopto session link read apart: where the server is and which session it names."""

    url: str
    base_url: str            # scheme://host[:port]
    session_id: str          # lower-case GUID
    kind: str                # viewer | embed | podcast | other
    start: float | None = None   # the &start= offset, in seconds, when the link has one
    by: str = "id"               # what named the session: id | tid | sessionid | deliveryid | path

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def netloc(self) -> str:
        return urlsplit(self.base_url).netloc.lower()


def looks_like_panopto(url: str) -> bool:
    """Whether a link is Panopto's (its host says so, or its path is under /Panopto/)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    return "panopto" in host or parts.path.lower().startswith("/panopto/")


def _query(text: str) -> dict[str, list[str]]:
    return {k.lower(): [v.strip().strip('"') for v in vs] for k, vs in parse_qs(text, keep_blank_values=True).items()}


def _guid_in(values: list[str]) -> str | None:
    for value in values:
        if GUID.fullmatch(value):
            return value.lower()
    return None


def _start(values: list[str]) -> float | None:
    for value in values:
        try:
            seconds = float(value)
        except ValueError:
            continue
        if seconds >= 0:
            return seconds
    return None


def parse_panopto_link(url: str) -> PanoptoLink | None:
    """The session a Panopto link names; None for a link that is not Panopto's; InputError when it names none."""
    text = (url or "").strip()
    if not looks_like_panopto(text):
        return None
    parts = urlsplit(text)
    path = unquote(parts.path)
    lower = path.lower()
    query = _query(parts.query)
    fragment = _query(unquote(parts.fragment).replace('"', ""))
    base = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    start = _start(query.get("start", []))
    by, session = next(((k, g) for k in _SESSION_KEYS if (g := _guid_in(query.get(k, [])))), ("id", None))
    if session is None and "/podcast/" in lower:
        found = GUID.search(path)
        by, session = "path", (found.group(0).lower() if found else None)
    kind = ("embed" if lower.endswith("/embed.aspx") else "viewer" if lower.endswith("/viewer.aspx")
            else "podcast" if "/podcast/" in lower else "other")
    if session is not None:
        return PanoptoLink(text, base, session, kind, start, by)
    shown = f"{base}{path}"
    if (any(k in query or k in fragment for k in _FOLDER_KEYS) or lower.endswith("/list.aspx")
            or "/sessions/" in lower or "/folders/" in lower):
        raise PanoptoFolderLink(f"{shown} is a Panopto folder, not a session: open the folder, pick one recording "
                                "and send that recording's link (it has `?id=…` in it).", source=shown)
    if "pid" in query:
        raise PanoptoFolderLink(f"{shown} is a Panopto playlist, not a session: play the recording you want and "
                                "send its own link (it has `?id=…` in it).", source=shown)
    if any(k in query for k in _SESSION_KEYS):
        raise InputError(f"{shown}: the session id in the link is not a Panopto id (expected 8-4-4-4-12 hex "
                         "digits); copy the link again from the recording's Share or address bar.", source=shown)
    raise InputError(f"{shown} is a Panopto link without a session id (the `?id=…` part): open the recording "
                     "itself and copy its link.", source=shown)


def panopto_session_id(url: str) -> tuple[bool, str | None]:
    """(is this a Panopto link, its session id if it names one)."""
    if not looks_like_panopto(url):
        return False, None
    try:
        link = parse_panopto_link(url)
    except InputError:
        return True, None
    return True, link.session_id if link else None


__all__ = ["GUID", "PanoptoFolderLink", "PanoptoLink", "looks_like_panopto", "panopto_session_id",
           "parse_panopto_link"]
