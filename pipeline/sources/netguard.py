"""The SSRF guard: a link given by a user must not make the worker reach into its own network.

Every address a host name resolves to is checked (one private answer is enough to refuse), and the HTTP
client calls the guard again on every redirect hop. The connection then goes to exactly the addresses that were
checked (`pinned_transport`): a DNS answer that changes between the check and the connection (rebinding) finds
no second lookup to poison. TLS still verifies the certificate against the host name, and SNI carries it.
"""

from __future__ import annotations

import contextvars
import ipaddress
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

import httpcore
import httpx
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

from ..errors import InputError, SourceNotFound, SourceUnavailable

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host:port."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries: mapped, SIIT, IPv4-compatible, NAT64, 6to4 and Teredo."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIIT or ip in _V4_COMPATIBLE or any(ip in net for net in _NAT64):
        found.append(low32)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client)
    return found


def is_public_address(address: str) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local, reserved, multicast,
    and for an IPv6 address that embeds one of those in any of its IPv4-carrying forms."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not (ip.is_global and not ip.is_multicast):
        if not (isinstance(ip, ipaddress.IPv6Address) and embedded_ipv4(ip)):
            return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner:
            return all(v4.is_global and not v4.is_multicast for v4 in inner)
    return True


_LDH = re.compile(r"[a-z0-9_-]+")  # letters, digits, hyphen (and the underscore some real names carry)


def check_host(host: str | None, url: str) -> str:
    """The host of a link as the resolver sees it (IDNA); InputError 'not a valid link' for a malformed one:
    no host, an empty or over-long label (63), a name over 253 characters, a name IDNA refuses (a bad xn-- label
    included), or characters no host name has."""
    if not host:
        raise InputError(f"{display_url(url)} is not a valid link: it has no host name")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return host
    except ValueError:
        pass
    name = host.rstrip(".")
    labels = name.split(".")
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
        for label in ascii_name.split("."):
            if label.startswith("xn--"):
                label.encode("ascii").decode("idna")  # a punycode label that does not decode
    except UnicodeError:
        ascii_name = ""
    if (not name or any(not label for label in labels) or any(len(label) > 63 for label in labels)
            or not ascii_name or len(ascii_name) > 253
            or not all(_LDH.fullmatch(label) for label in ascii_name.split("."))):
        raise InputError(f"{display_url(url)} is not a valid link: the host name {host[:80]!r} is malformed (empty "
                         "or over-long parts, or characters a host name cannot have); copy the link again from the "
                         "address bar")
    return ascii_name


def split_link(url: str, source: str | None = None) -> SplitResult:
    """urlsplit(url), or InputError 'not a valid link' when its port or brackets cannot be read."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise InputError(f"{_scrubbed(url)} is not a valid link (its port or brackets are malformed); copy the link "
                         "again from the address bar", source=source) from None
    return parts


def check_link_form(url: str) -> None:
    """InputError 'not a valid link' for an http(s) link whose port, brackets or host name are malformed (no DNS)."""
    parts = split_link(url)
    if parts.scheme.lower() in ("http", "https"):
        check_host(parts.hostname, url)


def display_url(url: str) -> str:
    """A URL fit for messages and logs: no credentials, no query string (signed links carry secrets there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # brackets left open, a port out of range
        return _scrubbed(url)
    shown = f"{parts.scheme}://{host}{parts.path}"
    return shown if len(shown) <= 160 else shown[:157] + "..."


# query parameters that carry a signature or a credential (S3/CloudFront/GCS/Azure presigned links, tokens)
SIGNED_PARAMS = {"x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature", "sig", "token",
                 "access_token", "auth", "key", "policy", "key-pair-id", "x-goog-signature", "x-goog-credential",
                 "hmac", "hdnts", "password", "secret", "apikey", "api_key"}


def redact_url(url: str) -> str:
    """The URL without user:password@ and with the values of signed parameters replaced by "redacted"."""
    parts = urlsplit(url)
    if "://" not in url or not parts.netloc:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, _redact_params(parts.query),
                       _redact_params(parts.fragment) if "=" in parts.fragment else parts.fragment))


def _redact_params(query: str) -> str:
    """key=value&… with the values of signed or secret keys (compared decoded, any case) replaced by "redacted"."""
    return "&".join(
        f"{k}=redacted" if unquote_plus(k).lower() in SIGNED_PARAMS else (f"{k}={v}" if sep else k)
        for k, sep, v in (item.partition("=") for item in query.split("&") if item))


def _scrubbed(url: str) -> str:
    """A link urlsplit cannot read, for a message: without what may be a password (before @) or a query."""
    head, _, _ = url.partition("?")
    scheme, sep, rest = head.partition("://")
    rest = rest.rsplit("@", 1)[-1]
    shown = f"{scheme}{sep}{rest}" if sep else head
    return shown[:160]


def display_source(source: str) -> str:
    """A job's source fit for pages and logs: URLs without credentials or query, file paths as they are."""
    return display_url(source) if "://" in source else source


class UrlGuard:
    """Refuses URLs whose host resolves to a non-public address, unless private URLs are allowed."""

    def __init__(self, allow_private: bool, resolve: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._checked: set[tuple[str, int]] = set()
        self._pins: dict[tuple[str, int], list[str]] = {}

    def pinned(self, host: str, port: int) -> list[str] | None:
        """The checked addresses to connect to for host:port; None when private links are allowed (no pins)."""
        if self.allow_private:
            return None
        return self._pins.get((host.lower().rstrip("."), port), [])

    def check(self, url: str, source: str) -> None:
        """Raise InputError if `url` may not be fetched; `source` is what the user gave, for the message."""
        parts = split_link(url, source)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"{display_url(url)} (from {source}) is not an http(s) link; give an http(s) URL",
                             source=source)
        check_host(parts.hostname, url)
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
        if not blocked and addresses:
            self._pins[(check_host(parts.hostname, url).lower().rstrip("."), port)] = list(addresses)
        if blocked or not addresses:
            raise InputError(f"{display_url(url)} (from {source}) points to a private or local network address "
                             f"({', '.join(blocked) or 'none'}); Handouts only fetches public links. An operator "
                             "can allow intranet links with HANDOUTS_ALLOW_PRIVATE_URLS=true", source=source,
                             host=parts.hostname)
        self._checked.add(key)


_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("http_deadline", default=None)


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Every socket read and write inside this block stops when `seconds` of wall-clock time have passed.

    httpx's timeouts bound each read; a server that sends one byte a second (in its headers, its body or a
    playlist) never trips them. Under this deadline such a request ends as a read timeout after `seconds`.
    """
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def _late(seconds: float) -> httpcore.ReadTimeout:
    return httpcore.ReadTimeout(f"the server took longer than the {seconds:g} s request deadline "
                                "(HANDOUTS_HTTP_REQUEST_DEADLINE)")


def _left(timeout: float | None) -> float | None:
    """The socket timeout to use now: the smaller of httpx's and what the request's deadline leaves."""
    current = _deadline.get()
    if current is None:
        return timeout
    left = current[0] - time.monotonic()
    if left <= 0:
        raise _late(current[1])
    return left if timeout is None else min(timeout, left)


def _bounded(call, timeout: float | None):
    """`call(socket timeout)`; a timeout that the request's deadline caused says so."""
    try:
        return call(_left(timeout))
    except httpcore.TimeoutException:
        current = _deadline.get()
        if current is None or current[0] > time.monotonic():
            raise
        raise _late(current[1]) from None


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes honour `request_deadline`."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _bounded(lambda t: self._inner.read(max_bytes, t), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _bounded(lambda t: self._inner.write(buffer, t), timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to the addresses the guard checked for that host and port."""

    def __init__(self, guard: UrlGuard) -> None:
        self.guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._connect(host, port, _left(timeout), local_address, socket_options))

    def _connect(self, host: str, port: int, timeout: float | None, local_address: str | None,
                 socket_options) -> httpcore.NetworkStream:
        addresses = self.guard.pinned(host, port)
        if addresses is None:
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not checked by the SSRF guard; not connecting")
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as e:  # the next checked address, as a resolver-driven connect would
                last = e
        raise last  # type: ignore[misc]


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, guard: UrlGuard, **kwargs) -> None:
        super().__init__(**kwargs)
        # httpx builds its connection pool without a way to pass a network backend; ours replaces it, with the
        # same TLS context, so only the TCP connect changes
        ssl_context = self._pool._ssl_context
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_PinnedBackend(guard))


def pinned_transport(guard: UrlGuard) -> httpx.BaseTransport:
    """An httpx transport that connects only to the addresses `guard` approved (see the module docstring)."""
    return _PinnedTransport(guard)

