"""Where Slack tokens live: slack_sdk's SQLAlchemy stores on our tables, tokens encrypted at rest.

Used by the Bolt app (OAuth installs, uninstall) and by workers (bot.notifier) to find the bot token
of a job's workspace; it imports slack_sdk and SQLAlchemy only, never Bolt.
"""

from __future__ import annotations

import copy
import logging

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from pipeline.crypto import SecretCipher, cipher_for
from pipeline.settings import Settings

from . import tables

log = logging.getLogger("handouts.slack.store")


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store on the migrated tables, with every token encrypted."""

    def __init__(self, client_id: str, engine: Engine, cipher: SecretCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.metadata = tables.metadata
        self.installations = tables.installations
        self.bots = tables.bots
        self.cipher = cipher

    def create_tables(self) -> None:
        """Tables come from the migrations (0003), never from the store itself."""

    def _sealed(self, item):
        sealed = copy.copy(item)
        for name in tables.TOKEN_COLUMNS:
            if hasattr(sealed, name):
                setattr(sealed, name, self.cipher.encrypt(getattr(sealed, name)))
        return sealed

    def _opened(self, item):
        for name in tables.TOKEN_COLUMNS:
            if item is not None and hasattr(item, name):
                setattr(item, name, self.cipher.decrypt(getattr(item, name)))
        return item

    def save(self, installation: Installation) -> None:
        """Store an installation (and its bot) with encrypted tokens."""
        super().save(self._sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        """Store a bot with an encrypted token (encryption is idempotent: save() passes sealed bots here)."""
        super().save_bot(self._sealed(bot))

    def find_bot(self, *, enterprise_id, team_id, is_enterprise_install=False) -> Bot | None:
        """The workspace's latest bot, token decrypted."""
        return self._opened(super().find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                             is_enterprise_install=is_enterprise_install))

    def find_installation(self, *, enterprise_id, team_id, user_id=None,
                          is_enterprise_install=False) -> Installation | None:
        """The workspace's latest installation, tokens decrypted."""
        return self._opened(super().find_installation(enterprise_id=enterprise_id, team_id=team_id,
                                                      user_id=user_id, is_enterprise_install=is_enterprise_install))


class OAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store on the migrated table."""

    def __init__(self, engine: Engine, expiration_seconds: int = 600) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self.metadata = tables.metadata
        self.oauth_states = tables.oauth_states

    def create_tables(self) -> None:
        """Tables come from the migrations (0003)."""


def make_installation_store(settings: Settings, engine: Engine) -> EncryptedInstallationStore | None:
    """The installation store in OAuth mode; None in single-workspace mode."""
    if not settings.slack_client_id:
        return None
    return EncryptedInstallationStore(settings.slack_client_id, engine, cipher_for(settings, "slack-tokens"))
