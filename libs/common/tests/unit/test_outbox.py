"""The outbox and its relay on SQLite with a FakeBroker (PostgreSQL: tests/integration)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session, sessionmaker

from keel_common.messaging import BrokerError, Envelope
from keel_common.messaging.fakes import FakeBroker
from keel_common.outbox import OutboxRelay, outbox_table, stage

metadata = sa.MetaData()
outbox = outbox_table(metadata)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(sqlite_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


def _relay(engine: sa.Engine, broker: FakeBroker, service: str, **options: object) -> OutboxRelay:
    return OutboxRelay(engine, outbox, broker, service, **options)  # type: ignore[arg-type]


def _events(n: int) -> list[Envelope]:
    return [Envelope.new("shop.order.placed.v1", "keel-shop", {"n": i}) for i in range(n)]


def _stage(engine: sa.Engine, envelopes: list[Envelope]) -> None:
    with sessionmaker(engine).begin() as session:
        stage(session, envelopes)


def _metric(name: str, service: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": service}) or 0.0


def _unpublished(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        query = sa.select(sa.func.count()).where(outbox.c.published_at.is_(None))
        return int(connection.execute(query).scalar_one())


def test_staged_events_are_stored_only_if_the_transaction_commits(engine: sa.Engine) -> None:
    with Session(engine) as session:
        stage(session, _events(2))
        session.rollback()
    _stage(engine, _events(3))

    assert _unpublished(engine) == 3


def test_the_relay_publishes_in_order_and_marks_rows_published(
    engine: sa.Engine, broker: FakeBroker, unique_name: str
) -> None:
    events = _events(5)
    _stage(engine, events)
    relay = _relay(engine, broker, unique_name)

    assert relay.run_once() == 5
    assert relay.run_once() == 0

    assert broker.published == events
    assert _unpublished(engine) == 0
    assert _metric("keel_outbox_published_total", unique_name) == 5


def test_the_relay_takes_at_most_one_batch_per_round(
    engine: sa.Engine, broker: FakeBroker, unique_name: str
) -> None:
    events = _events(5)
    _stage(engine, events)
    relay = _relay(engine, broker, unique_name, batch_size=2)

    assert [relay.run_once() for _ in range(4)] == [2, 2, 1, 0]
    assert broker.published == events


def test_a_broker_failure_keeps_the_rows_for_the_next_round(
    engine: sa.Engine, broker: FakeBroker, unique_name: str
) -> None:
    events = _events(3)
    _stage(engine, events)
    relay = _relay(engine, broker, unique_name)
    broker.failure = ConnectionError("broker is down")

    with pytest.raises(BrokerError):
        relay.run_once()
    assert _unpublished(engine) == 3
    assert _metric("keel_outbox_backlog", unique_name) == 3

    broker.failure = None
    assert relay.run_once() == 3
    assert broker.published == events
    assert _metric("keel_outbox_backlog", unique_name) == 0


def test_the_gauges_show_the_backlog_and_the_age_of_its_oldest_event(
    engine: sa.Engine, broker: FakeBroker, unique_name: str
) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(outbox).values(event_id="e-1", type="t", payload="{}", created_at=an_hour_ago)
        )
    _stage(engine, _events(1))
    relay = _relay(engine, broker, unique_name)

    relay.refresh_gauges()

    assert _metric("keel_outbox_backlog", unique_name) == 2
    assert 3500 < _metric("keel_outbox_oldest_unpublished_age_seconds", unique_name) < 7200
    relay.run_once()
    assert _metric("keel_outbox_oldest_unpublished_age_seconds", unique_name) == 0


def test_a_row_that_is_not_an_envelope_is_set_aside_not_blocking_the_rest(
    engine: sa.Engine, broker: FakeBroker, unique_name: str
) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.insert(outbox).values(
                event_id="bad", type="t", payload="{oops", created_at=datetime.now(UTC)
            )
        )
    events = _events(2)
    _stage(engine, events)

    assert _relay(engine, broker, unique_name).run_once() == 2
    assert broker.published == events
    assert _unpublished(engine) == 0


def test_prune_deletes_only_rows_published_before_the_retention(
    engine: sa.Engine, broker: FakeBroker, unique_name: str
) -> None:
    _stage(engine, _events(3))
    relay = _relay(engine, broker, unique_name, retention=timedelta(days=7))
    relay.run_once()
    with engine.begin() as connection:
        old = datetime.now(UTC) - timedelta(days=8)
        connection.execute(sa.update(outbox).where(outbox.c.pk == 1).values(published_at=old))
    _stage(engine, _events(1))  # unpublished: never pruned

    assert relay.prune() == 1
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 3


def test_run_keeps_going_through_an_outage_until_stopped(
    engine: sa.Engine, broker: FakeBroker, unique_name: str
) -> None:
    events = _events(4)
    _stage(engine, events)
    broker.failure = ConnectionError("broker is down")
    relay = _relay(engine, broker, unique_name, poll_interval=0.01)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.1)
        assert broker.published == []
        broker.failure = None
        deadline = time.monotonic() + 10
        while len(broker.published) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(10)

    assert not thread.is_alive()
    assert broker.published == events


def test_the_table_is_defined_once_per_metadata() -> None:
    assert outbox_table(metadata) is outbox


def test_staging_nothing_is_a_no_op(engine: sa.Engine) -> None:
    _stage(engine, [])
    assert _unpublished(engine) == 0
