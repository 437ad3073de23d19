"""The one place that fills the domain's ports with real parts, adapters' notifiers included."""

from __future__ import annotations

from typing import Sequence

from pipeline import db
from pipeline.context import StageDef
from pipeline.notify import Notifier
from pipeline.panopto.credentials import PanoptoCredentials
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.storage import Storage

from .schema import upgrade


def adapter_notifiers(settings: Settings, sessions) -> list[Notifier]:
    """Every adapter's notifier that its settings switch on (Slack; e-mail for LMS jobs when SMTP is set)."""
    from bot.notifier import make_slack_notifier
    from lti.notifier import make_lti_notifier

    found = [make_slack_notifier(settings, sessions), make_lti_notifier(settings, sessions)]
    return [n for n in found if n is not None]


def open_runtime(settings: Settings, *, immediate: bool = False, stages: Sequence[StageDef] | None = None,
                 storage: Storage | None = None, notifiers: Sequence[Notifier] = (),
                 migrate: bool | None = None, panopto_credentials: PanoptoCredentials | None = None) -> Runtime:
    """A process's Runtime: the schema migrated (when HANDOUTS_AUTO_MIGRATE is on) and every adapter wired.

    `notifiers` are added to the adapters' own (tests listen this way); one per type.
    """
    engine = db.make_engine(settings.db_url)
    if settings.auto_migrate if migrate is None else migrate:
        upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    if panopto_credentials is None:  # each person's own linked account, else the service user where allowed
        from pipeline.panopto.tokens import TokenStore

        panopto_credentials = TokenStore(settings, sessions)
    return Runtime.create(settings, engine=engine, immediate=immediate, stages=stages, storage=storage,
                          notifiers=[*adapter_notifiers(settings, sessions), *notifiers],
                          panopto_credentials=panopto_credentials)


def panopto_servers(settings: Settings, sessions):
    """Each tenant's Panopto servers (a ServerDirectory): the stored ones and the PANOPTO_* settings server."""
    from pipeline.panopto.servers import ServerRegistry

    return ServerRegistry(settings, sessions)


def panopto_accounts(settings: Settings, sessions, servers=None, credentials=None):
    """The Panopto account service (links, connect states, tokens) over this process's database; `credentials`
    is the runtime's port, shared when it is the token store, consulted when it is something else."""
    from pipeline.panopto.accounts import PanoptoAccounts
    from pipeline.panopto.tokens import TokenStore

    tokens = credentials if isinstance(credentials, TokenStore) else None
    return PanoptoAccounts(settings, sessions, servers if servers is not None else panopto_servers(settings, sessions),
                           tokens=tokens, credentials=credentials)
