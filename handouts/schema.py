"""Migrations over every table: the domain's and each adapter's, registered here rather than in the domain."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def metadata() -> MetaData:
    """The metadata holding every table Handouts migrates (domain, Slack, LTI)."""
    import bot.tables  # noqa: F401  (the Slack tables join the shared metadata)
    import pipeline.panopto.tables  # noqa: F401  (Panopto accounts and connect states)
    import pipeline.panopto.servers  # noqa: F401  (panopto_servers)
    import lti.tables  # noqa: F401  (the LTI tables too)
    from pipeline.models import Base

    return Base.metadata


def alembic_config(engine: Engine):
    """An Alembic config that runs our migrations on `engine`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent); Alembic's own start-up lines are kept out of the output."""
    from alembic import command

    quiet = logging.getLogger("alembic")
    before = quiet.level
    quiet.setLevel(max(before, logging.WARNING))
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        quiet.setLevel(before)
