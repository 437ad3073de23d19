"""The tool's signing keys: made on first use, kept encrypted, published as a JWKS, rotated current → next.

Platforms fetch /lti/jwks and cache it, so a key is published one rotation before it signs (`next`) and one
rotation after (`previous`): a platform that reloads its cache on a failed check always finds the signing key.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.registration import Registration
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.crypto import SecretCipher
from pipeline.logs import get_logger

from .tables import KeyStatus, LtiKey

log = get_logger("handouts.lti.keys")


@dataclass(frozen=True)
class SigningKey:
    """The key that signs now: its kid and both PEM halves (the private one decrypted, in memory only)."""

    kid: str
    private_pem: str
    public_pem: str


def _new_key(cipher: SecretCipher, status: str) -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    kid = Registration.get_jwk(public_pem)["kid"]
    return LtiKey(kid=kid, status=status, private_pem=cipher.encrypt(private_pem), public_pem=public_pem)


_ensured: "weakref.WeakSet" = weakref.WeakSet()  # engines whose keys this process has seen in place


def ensure_keys(sessions: sessionmaker[Session], cipher: SecretCipher) -> None:
    """Make the current and next key when there are none (two processes racing: the loser's insert is undone)."""
    engine = sessions.kw.get("bind")
    if engine is not None and engine in _ensured:
        return
    with sessions() as s:
        have = {k.status for k in s.scalars(select(LtiKey))}
    if KeyStatus.CURRENT in have and KeyStatus.NEXT in have:
        if engine is not None:
            _ensured.add(engine)
        return
    try:
        with sessions() as s, s.begin():
            have = {k.status for k in s.scalars(select(LtiKey).with_for_update())}
            for status in (KeyStatus.CURRENT, KeyStatus.NEXT):
                if status not in have:
                    s.add(_new_key(cipher, status))
        log.info("lti_keys_created")
    except IntegrityError:
        pass


def signing_key(sessions: sessionmaker[Session], cipher: SecretCipher) -> SigningKey:
    """The current key, made on first use."""
    ensure_keys(sessions, cipher)
    with sessions() as s:
        row = s.scalars(select(LtiKey).where(LtiKey.status == KeyStatus.CURRENT).order_by(LtiKey.id.desc())).first()
    return SigningKey(row.kid, cipher.decrypt(row.private_pem), row.public_pem)


def jwks(sessions: sessionmaker[Session], cipher: SecretCipher) -> dict:
    """Every published public key (current, next, previous) with kid, alg and use, as platforms expect."""
    ensure_keys(sessions, cipher)
    order = {KeyStatus.CURRENT: 0, KeyStatus.NEXT: 1, KeyStatus.PREVIOUS: 2}
    with sessions() as s:
        rows = sorted(s.scalars(select(LtiKey)), key=lambda k: (order.get(k.status, 9), -k.id))
    return {"keys": [{**Registration.get_jwk(k.public_pem), "kid": k.kid} for k in rows]}


def rotate(sessions: sessionmaker[Session], cipher: SecretCipher) -> SigningKey:
    """Next becomes current, current becomes previous, the old previous is dropped, and a new next is made."""
    ensure_keys(sessions, cipher)
    with sessions() as s, s.begin():
        rows = list(s.scalars(select(LtiKey).with_for_update()))
        for k in rows:
            if k.status == KeyStatus.PREVIOUS:
                s.delete(k)
        s.flush()
        for k in rows:
            if k.status == KeyStatus.CURRENT:
                k.status = KeyStatus.PREVIOUS
            elif k.status == KeyStatus.NEXT:
                k.status = KeyStatus.CURRENT
        s.add(_new_key(cipher, KeyStatus.NEXT))
    log.info("lti_keys_rotated")
    return signing_key(sessions, cipher)
