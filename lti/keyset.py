"""Platforms' public key sets: fetched with a timeout, cached, and reloaded once when a token names an unknown kid.

Platforms rotate their keys (D2L about hourly); a cache that waits out its TTL refuses every launch signed with
the new key until then. A miss reloads at once, one fetch per URL at a time, and a set that a reload fetched in
the last few seconds is not fetched again (a flood of forged kids cannot turn into a flood of requests to the platform).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import httpx
from jwcrypto.jwk import JWK

from pipeline.logs import get_logger
from pipeline.sources.netguard import UrlGuard, pinned_transport, request_deadline

log = get_logger("handouts.lti.keyset")

MIN_RELOAD_SECONDS = 5.0
MAX_KEYSET_BYTES = 512 * 1024


class KeySetError(Exception):
    """The platform's key set could not be fetched or read; `reason` is shown to the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Entry:
    keys: dict[str, dict]
    fetched: float
    by_reload: bool = False
    pems: dict = None  # kid → PEM, converted once

    def __post_init__(self) -> None:
        self.pems = {}


class KeySetCache:
    """Per-process cache of key sets by URL."""

    def __init__(self, *, ttl: float, timeout: float, allow_private: bool) -> None:
        self.ttl, self.timeout, self.allow_private = ttl, timeout, allow_private
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0

    def _lock(self, url: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(url, threading.Lock())

    def _fetch(self, url: str) -> dict[str, dict]:
        guard = UrlGuard(self.allow_private)
        try:
            guard.check(url, "the platform's key set URL")
        except Exception as e:
            raise KeySetError(getattr(e, "message", str(e))) from None
        self.fetches += 1
        try:
            with request_deadline(self.timeout), httpx.Client(transport=pinned_transport(guard),
                                                              timeout=self.timeout, follow_redirects=False) as c:
                r = c.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as e:
            raise KeySetError(f"the key set at {url} did not answer ({type(e).__name__}: {e})") from None
        if r.status_code != 200:
            raise KeySetError(f"the key set at {url} answered HTTP {r.status_code}")
        if len(r.content) > MAX_KEYSET_BYTES:
            raise KeySetError(f"the key set at {url} is larger than {MAX_KEYSET_BYTES} bytes")
        try:
            data = r.json()
            keys = data["keys"]
            assert isinstance(keys, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            raise KeySetError(f"the key set at {url} is not a JWKS (JSON with a \"keys\" list)") from None
        return {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}

    def _entry(self, url: str, *, reload: bool) -> _Entry:
        now = time.monotonic()
        entry = self._entries.get(url)
        if entry and not reload and now - entry.fetched < self.ttl:
            return entry
        with self._lock(url):
            entry = self._entries.get(url)  # another thread may have fetched while this one waited
            now = time.monotonic()
            if entry and not reload and now - entry.fetched < self.ttl:
                return entry
            # a set that a reload brought in the last few seconds is as new as it gets
            if entry and reload and entry.by_reload and now - entry.fetched < MIN_RELOAD_SECONDS:
                return entry
            entry = _Entry(self._fetch(url), time.monotonic(), by_reload=reload)
            self._entries[url] = entry
            return entry

    def public_pem(self, url: str, kid: str, alg: str) -> str:
        """The PEM of key `kid` for `alg` from the set at `url`; reloads once when the cached set lacks it."""
        entry = self._entry(url, reload=False)
        if (kid, alg) in entry.pems:
            return entry.pems[(kid, alg)]
        key = entry.keys.get(kid)
        if key is None:
            log.info("lti_keyset_reload", url=url, kid=kid)
            entry = self._entry(url, reload=True)
            key = entry.keys.get(kid)
        if key is None:
            raise KeySetError(f"the platform's key set has no key with kid {kid!r}")
        if key.get("alg", alg) != alg or key.get("kty") != "RSA":
            raise KeySetError(f"key {kid!r} is for {key.get('alg')}/{key.get('kty')}, the token is signed with {alg}")
        try:
            pem = JWK.from_json(json.dumps(key)).export_to_pem().decode()
            entry.pems[(kid, alg)] = pem
            return pem
        except (ValueError, TypeError) as e:
            raise KeySetError(f"key {kid!r} in the platform's key set cannot be read: {e}") from None
