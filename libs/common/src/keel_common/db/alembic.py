"""Alembic glue shared by every service's ``migrations/`` folder.

A service's ``migrations/env.py`` is two lines::

    from keel_common.db.alembic import run_env
    from keel_auth.adapters.orm import metadata
    run_env(metadata)

and ``keel-<svc> migrate`` / the tests call ``upgrade(database_url, migrations_dir)``.
The database URL is always passed in by the caller (from settings), never read from
``alembic.ini``, so there is one place that decides which database a process uses.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from keel_common.db import create_engine


def alembic_config(database_url: str, migrations_dir: str | Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, migrations_dir: str | Path, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision``."""
    command.upgrade(alembic_config(database_url, migrations_dir), revision)


def downgrade(database_url: str, migrations_dir: str | Path, revision: str) -> None:
    command.downgrade(alembic_config(database_url, migrations_dir), revision)


def run_env(metadata: sa.MetaData) -> None:
    """The body of ``env.py``: run migrations online against the configured URL."""
    url = context.config.attributes.get("database_url")
    if not url:
        raise RuntimeError("no database URL: run migrations through keel_common.db.alembic.upgrade")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
