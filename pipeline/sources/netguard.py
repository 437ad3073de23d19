"""The SSRF guard: a link given by a user must not make the worker reach into its own network.

Every address a host name resolves to is checked (one private answer is enough to refuse), and the HTTP
client calls the guard again on every redirect hop. The check happens before connecting, so a DNS answer
that changes between the check and the connection (rebinding) is not caught here.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Callable
from urllib.parse import urlsplit

from ..errors import InputError, SourceNotFound, SourceUnavailable

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host:port."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def is_public_address(address: str) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local, reserved, multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def display_url(url: str) -> str:
    """A URL fit for messages and logs: no credentials, no query string (signed links carry secrets there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}"
    return shown if len(shown) <= 160 else shown[:157] + "..."


def display_source(source: str) -> str:
    """A job's source fit for pages and logs: URLs without credentials or query, file paths as they are."""
    return display_url(source) if "://" in source else source


class UrlGuard:
    """Refuses URLs whose host resolves to a non-public address, unless private URLs are allowed."""

    def __init__(self, allow_private: bool, resolve: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._checked: set[tuple[str, int]] = set()

    def check(self, url: str, source: str) -> None:
        """Raise InputError if `url` may not be fetched; `source` is what the user gave, for the message."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"{display_url(url)} (from {source}) is not an http(s) link; give an http(s) URL",
                             source=source)
        if self.allow_private:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.hostname, port)
        if key in self._checked:
            return
        try:
            addresses = (self._resolve or system_resolver)(parts.hostname, port)
        except socket.gaierror as e:
            if e.errno in (socket.EAI_AGAIN,):
                raise SourceUnavailable(display_url(url), f"the name {parts.hostname} could not be looked up right "
                                        "now (DNS); try again in a few minutes", retryable=True) from None
            raise SourceNotFound(source, f"the host {parts.hostname} in {display_url(url)} does not exist; "
                                 "check the link for typos") from None
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked or not addresses:
            raise InputError(f"{display_url(url)} (from {source}) points to a private or local network address "
                             f"({', '.join(blocked) or 'none'}); Handouts only fetches public links. An operator "
                             "can allow intranet links with HANDOUTS_ALLOW_PRIVATE_URLS=true", source=source,
                             host=parts.hostname)
        self._checked.add(key)
