"""Network and file edges: bring a lecture recording (local file, HTTP(S) video link, HLS playlist) to disk.

`fetch_source` is the one entry; the modules behind it are `local`, `http` (with the `netguard` SSRF check),
`hls` and `m3u8` (playlists as plain data), and `files` (atomic writes).
"""

from .fetch import FetchedSource, fetch_source

__all__ = ["FetchedSource", "fetch_source"]
