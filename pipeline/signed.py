"""Short-lived signed download links: an HMAC over (job, file, who, expiry), so a page inside an LMS iframe can
offer a file without any cookie. The key is derived from HANDOUTS_SECRET_KEY for this purpose only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from .errors import InputError


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"handouts-download:" + secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_download(secret: str, job_id: str, name: str, subject: str, ttl_seconds: float,
                  *, now: float | None = None) -> str:
    """A token naming one file of one job for one person, valid `ttl_seconds`."""
    payload = {"j": job_id, "n": name, "s": subject, "e": int((now or time.time()) + ttl_seconds)}
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def verify_download(secret: str, token: str, *, now: float | None = None) -> dict:
    """The payload of a valid token ({"j", "n", "s", "e"}); InputError when it is forged, mangled or expired."""
    body, _, mac = (token or "").partition(".")
    good = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    if not body or not hmac.compare_digest(mac, good):
        raise InputError("this download link is not valid; open the handout again from your course", field="token")
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        raise InputError("this download link is not valid; open the handout again from your course",
                         field="token") from None
    if payload.get("e", 0) < (now or time.time()):
        raise InputError("this download link has expired; open the handout again from your course to get a new "
                         "one", field="token")
    return payload
