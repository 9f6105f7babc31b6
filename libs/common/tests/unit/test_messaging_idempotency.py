from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from keel_common.messaging.idempotency import first_time, processed_events_table, prune_processed


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = sa.create_engine(sqlite_url)
    metadata = sa.MetaData()
    processed_events_table(metadata)
    metadata.create_all(engine)
    yield sessionmaker(engine)
    engine.dispose()


def test_an_event_is_new_once_per_consumer(sessions: sessionmaker[Session]) -> None:
    event_id = str(uuid.uuid4())
    with sessions.begin() as session:
        assert first_time(session, "notification.events", event_id) is True
    with sessions.begin() as session:
        assert first_time(session, "notification.events", event_id) is False
        assert first_time(session, "search.products", event_id) is True


def test_a_rolled_back_handler_leaves_the_event_new(sessions: sessionmaker[Session]) -> None:
    event_id = str(uuid.uuid4())
    with sessions() as session:
        assert first_time(session, "c", event_id) is True
        session.rollback()
    with sessions.begin() as session:
        assert first_time(session, "c", event_id) is True


def test_the_table_is_defined_once_per_metadata() -> None:
    metadata = sa.MetaData()
    assert processed_events_table(metadata) is processed_events_table(metadata)


def test_prune_forgets_only_old_ids(sessions: sessionmaker[Session]) -> None:
    table = processed_events_table(sa.MetaData())
    old = datetime.now(UTC) - timedelta(days=30)
    with sessions.begin() as session:
        session.execute(sa.insert(table).values(consumer="c", event_id="old", processed_at=old))
        first_time(session, "c", "recent")
    with sessions.begin() as session:
        assert prune_processed(session, timedelta(days=7)) == 1
    with sessions.begin() as session:
        assert first_time(session, "c", "old") is True
        assert first_time(session, "c", "recent") is False
