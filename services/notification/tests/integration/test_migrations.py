"""The migrations build exactly the schema the ORM maps, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from keel_common.db import create_engine
from keel_common.db.alembic import downgrade, upgrade
from keel_notification.adapters.orm import metadata

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_upgrade_matches_the_models_and_downgrade_removes_everything(database_url):
    upgrade(database_url, MIGRATIONS)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        downgrade(database_url, MIGRATIONS, "base")
        with engine.connect() as conn:
            tables = set(engine.dialect.get_table_names(conn)) - {"alembic_version"}
        assert tables == set()
    finally:
        engine.dispose()
