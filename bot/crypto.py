"""Tokens encrypted at rest: Fernet under HANDOUTS_SLACK_TOKEN_KEY (several keys, comma-separated, rotate)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from pipeline.errors import ConfigError
from pipeline.settings import Settings

PREFIX = "enc1:"


def _fernet(key: str) -> Fernet:
    # A proper Fernet key is used as it is; any other passphrase is stretched to one, so operators can paste
    # a long random string without learning Fernet's key format.
    try:
        return Fernet(key.encode())
    except ValueError:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class TokenCipher:
    """Encrypts and decrypts Slack tokens; the first key encrypts, every key decrypts."""

    def __init__(self, keys: list[str]) -> None:
        keys = [k.strip() for k in keys if k.strip()]
        if not keys:
            raise ConfigError("HANDOUTS_SLACK_TOKEN_KEY", "no key given to encrypt Slack tokens with")
        self._f = MultiFernet([_fernet(k) for k in keys])

    def encrypt(self, value: str | None) -> str | None:
        """Ciphertext with a marker; None and already-encrypted values pass through."""
        if value is None or value.startswith(PREFIX):
            return value
        return PREFIX + self._f.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        """Plain token; values stored before encryption was on (no marker) are returned as they are."""
        if value is None or not value.startswith(PREFIX):
            return value
        try:
            return self._f.decrypt(value[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise ConfigError("HANDOUTS_SLACK_TOKEN_KEY", "a stored Slack token cannot be decrypted with the "
                              "configured key(s); keep the old key in the list (new,old) when rotating, or "
                              "reinstall the app in that workspace") from None


def cipher_from_settings(settings: Settings) -> TokenCipher:
    """The cipher for this deployment: the token key, or one derived from HANDOUTS_SECRET_KEY."""
    if settings.slack_token_key is not None:
        return TokenCipher(settings.slack_token_key.get_secret_value().split(","))
    return TokenCipher(["handouts-slack-tokens:" + settings.secret_key.get_secret_value()])
