"""Readiness checks against a real PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from keel_common.health import database_check


def test_database_check_passes_against_postgres(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        database_check(engine)()
    finally:
        engine.dispose()


def test_database_check_fails_when_postgres_refuses(postgres_url: str) -> None:
    wrong_database = sa.make_url(postgres_url).set(database="keel_no_such_database")
    engine = sa.create_engine(wrong_database)
    try:
        with pytest.raises(sa.exc.OperationalError):
            database_check(engine)()
    finally:
        engine.dispose()
