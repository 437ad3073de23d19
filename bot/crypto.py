"""Slack tokens encrypted at rest: the domain's cipher (pipeline.crypto) under HANDOUTS_SLACK_TOKEN_KEY."""

from __future__ import annotations

from pipeline.crypto import PREFIX, SecretCipher, cipher_for
from pipeline.settings import Settings

__all__ = ["PREFIX", "TokenCipher", "cipher_from_settings"]


class TokenCipher(SecretCipher):
    """Encrypts and decrypts Slack tokens; the first key encrypts, every key decrypts."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(keys, setting="HANDOUTS_SLACK_TOKEN_KEY", what="a stored Slack token")


def cipher_from_settings(settings: Settings) -> SecretCipher:
    """The cipher for Slack tokens: the token key, or one derived from HANDOUTS_SECRET_KEY."""
    return cipher_for(settings, "slack-tokens")
