"""first_time on real databases, including two consumers racing for one event on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from keel_common.messaging.idempotency import first_time, processed_events_table

WAIT = 30.0


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = sa.create_engine(database_url)
    metadata = sa.MetaData()
    processed_events_table(metadata)
    metadata.create_all(engine)
    yield sessionmaker(engine)
    engine.dispose()


def test_an_event_is_new_once(sessions: sessionmaker[Session]) -> None:
    event_id = str(uuid.uuid4())
    with sessions.begin() as session:
        assert first_time(session, "q", event_id)
    with sessions.begin() as session:
        assert not first_time(session, "q", event_id)


@pytest.mark.parametrize("first_commits", [True, False])
def test_a_racing_consumer_waits_for_the_first_and_follows_its_outcome(
    postgres_url: str, first_commits: bool
) -> None:
    engine = sa.create_engine(postgres_url)
    metadata = sa.MetaData()
    processed_events_table(metadata)
    metadata.create_all(engine)
    sessions = sessionmaker(engine)
    event_id = str(uuid.uuid4())
    answers: list[bool] = []

    first = sessions()
    assert first_time(first, "q", event_id)  # inserted, not committed yet

    def racer() -> None:
        with sessions.begin() as session:
            answers.append(first_time(session, "q", event_id))

    thread = threading.Thread(target=racer)
    thread.start()
    thread.join(1.0)
    waited = thread.is_alive()  # blocked on the first transaction's row
    if first_commits:
        first.commit()
    else:
        first.rollback()
    first.close()
    thread.join(WAIT)
    engine.dispose()

    assert waited
    # The loser sees the winner's committed row; after a rollback it becomes the winner.
    assert answers == [not first_commits]
