"""The migrations build exactly the schema the ORM maps, and can be undone."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from keel_common.db import create_engine
from keel_common.db.alembic import downgrade, upgrade
from keel_core.adapters.orm import metadata


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_migrations_match_the_mapped_tables(migrated: str) -> None:
    assert _differences(migrated) == []


def test_downgrade_to_base_and_back(migrated: str, migrations_dir: Path) -> None:
    downgrade(migrated, migrations_dir, "base")
    engine = create_engine(migrated)
    try:
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(migrated, migrations_dir)
    assert _differences(migrated) == []
