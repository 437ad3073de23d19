"""Secrets encrypted at rest (tokens, client secrets, signed links): Fernet, several keys to rotate.

Each purpose has its own key: Slack tokens under HANDOUTS_SLACK_TOKEN_KEY, every other stored credential under
HANDOUTS_CREDENTIALS_KEY; each defaults to a key derived from HANDOUTS_SECRET_KEY and its purpose. A key list
"new,old" encrypts with the first and decrypts with any.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import ConfigError
from .settings import Settings

PREFIX = "enc1:"


def _fernet(key: str) -> Fernet:
    # A proper Fernet key is used as it is; any other passphrase is stretched to one, so operators can paste
    # a long random string without learning Fernet's key format.
    try:
        return Fernet(key.encode())
    except ValueError:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class SecretCipher:
    """Encrypts and decrypts stored secrets; the first key encrypts, every key decrypts."""

    def __init__(self, keys: list[str], *, setting: str = "HANDOUTS_CREDENTIALS_KEY",
                 what: str = "a stored credential") -> None:
        keys = [k.strip() for k in keys if k.strip()]
        self.setting, self.what = setting, what
        if not keys:
            raise ConfigError(setting, f"no key given to encrypt {what} with")
        self._f = MultiFernet([_fernet(k) for k in keys])

    def encrypt(self, value: str | None) -> str | None:
        """Ciphertext with a marker; None and already-encrypted values pass through."""
        if value is None or value.startswith(PREFIX):
            return value
        return PREFIX + self._f.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        """The plain value; values stored before encryption was on (no marker) are returned as they are."""
        if value is None or not value.startswith(PREFIX):
            return value
        try:
            return self._f.decrypt(value[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise ConfigError(self.setting, f"{self.what} cannot be decrypted with the configured key(s); keep "
                              "the old key in the list (new,old) when rotating") from None


def slack_token_cipher(keys: list[str]) -> SecretCipher:
    """The cipher of stored Slack tokens for a key list ("new,old" split), errors naming its setting."""
    return SecretCipher(keys, setting="HANDOUTS_SLACK_TOKEN_KEY", what="a stored Slack token")


def cipher_for(settings: Settings, purpose: str) -> SecretCipher:
    """The cipher of one purpose: "slack-tokens", or any other name for credentials (panopto, lti, sources)."""
    if purpose == "slack-tokens":
        if settings.slack_token_key is not None:
            return slack_token_cipher(settings.slack_token_key.get_secret_value().split(","))
        return slack_token_cipher(["handouts-slack-tokens:" + settings.secret_key.get_secret_value()])
    if settings.credentials_key is not None:
        return SecretCipher(settings.credentials_key.get_secret_value().split(","))
    return SecretCipher([f"handouts-{purpose}:" + settings.secret_key.get_secret_value()])
