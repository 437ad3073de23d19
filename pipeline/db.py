"""Engine and sessions, and the schema revision in force; the caller owns every transaction.

Migrations themselves run from the composition root (handouts.schema), which knows every table.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .errors import ConfigError


def unreachable(e: DBAPIError) -> bool:
    """True when `e` says the database is out of reach (down, restarting, the connection cut), not that a query
    was wrong: the caller may wait and try again, or tell a person to."""
    return e.connection_invalidated or isinstance(e, OperationalError)


def error_name(e: DBAPIError) -> str:
    """The driver's name for what went wrong (e.g. OperationalError), for a log line or a message."""
    return type(e.orig).__name__ if e.orig is not None else type(e).__name__


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so web and worker threads share it."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except Exception as e:  # bad dialect or a driver that is not installed
        raise ConfigError("DATABASE_URL", f"cannot use '{url.split('@')[-1]}': {e}") from None


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return MigrationContext.configure(conn).get_current_revision()


def locked(session: Session, model, pk):
    """Load one row for a read-then-write: nobody else may change it until this transaction ends.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks, and its driver starts a transaction only at the
    first write, so a no-op UPDATE of the row comes first: it takes the database's write lock, and the read that
    follows sees the latest committed state.
    """
    if session.get_bind().dialect.name == "sqlite":
        table = model.__table__
        keep = {c.name: c for c in table.columns if c.primary_key or c.onupdate is not None}
        session.execute(table.update().where(list(table.primary_key)[0] == pk).values(keep))
        return session.get(model, pk, populate_existing=True)
    return session.get(model, pk, with_for_update=True, populate_existing=True)
