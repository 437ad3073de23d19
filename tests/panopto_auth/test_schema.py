"""Migration 0007 creates the Panopto tables exactly as the models describe them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from handouts.schema import metadata

OURS = {"panopto_tokens", "panopto_connect_states"}


def _about_ours(diff) -> bool:
    flat = diff if isinstance(diff, tuple) else diff[0]
    return any(getattr(x, "name", None) in OURS or getattr(getattr(x, "table", None), "name", None) in OURS
               or x in OURS for x in flat if not isinstance(x, (list, dict)))


def test_the_migration_matches_the_models(oauth_world):
    _matches(oauth_world())


def test_the_migration_matches_the_models_on_postgres(oauth_world, postgres_url):
    _matches(oauth_world(db_url=postgres_url))


def _matches(w):
    with w.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata())
    assert [d for d in diffs if _about_ours(d)] == []
    with w.engine.connect() as conn:
        assert OURS <= set(conn.dialect.get_table_names(conn))
