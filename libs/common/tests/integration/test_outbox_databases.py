"""The outbox and its relay on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from keel_common.messaging import Envelope
from keel_common.messaging.fakes import FakeBroker
from keel_common.outbox import OutboxRelay, outbox_table, stage

WAIT = 30.0
metadata = sa.MetaData()
outbox = outbox_table(metadata)


def _engine(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    yield from _engine(database_url)


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from _engine(postgres_url)


def _stage(engine: sa.Engine, count: int) -> list[Envelope]:
    events = [Envelope.new("shop.order.placed.v1", "keel-shop", {"n": n}) for n in range(count)]
    with sessionmaker(engine).begin() as session:
        stage(session, events)
    return events


def test_the_relay_publishes_staged_events_in_order_once(
    engine: sa.Engine, unique_name: str
) -> None:
    events = _stage(engine, 120)
    broker = FakeBroker()
    relay = OutboxRelay(engine, outbox, broker, unique_name, batch_size=50)

    assert [relay.run_once() for _ in range(4)] == [50, 50, 20, 0]
    assert broker.published == events


def test_a_rolled_back_transaction_stages_nothing(engine: sa.Engine, unique_name: str) -> None:
    with sessionmaker(engine)() as session:
        stage(session, [Envelope.new("a.b.c.v1", "keel-a", {})])
        session.rollback()
    broker = FakeBroker()

    assert OutboxRelay(engine, outbox, broker, unique_name).run_once() == 0


class GatedBroker(FakeBroker):
    """Holds the first publish until released: a relay stuck mid-batch with rows locked."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def publish_batch(self, envelopes: Sequence[Envelope]) -> None:
        if not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(WAIT)
        with self._lock:
            super().publish_batch(envelopes)


def test_a_second_relay_skips_the_rows_the_first_has_locked(
    pg_engine: sa.Engine, unique_name: str
) -> None:
    events = _stage(pg_engine, 20)
    broker = GatedBroker()
    first = OutboxRelay(pg_engine, outbox, broker, unique_name, batch_size=10)
    second = OutboxRelay(pg_engine, outbox, broker, unique_name, batch_size=10)
    stuck = threading.Thread(target=first.run_once)
    stuck.start()
    assert broker.holding.wait(WAIT)

    results: list[int] = []
    other = threading.Thread(target=lambda: results.append(second.run_once()))
    other.start()
    other.join(WAIT)
    blocked = other.is_alive()  # without SKIP LOCKED it would wait for the first relay
    broker.release.set()
    stuck.join(WAIT)
    other.join(WAIT)

    assert not blocked
    assert results == [10]
    assert sorted(e.data["n"] for e in broker.published) == list(range(20))
    assert broker.published[:10] == events[10:]  # the second batch went out first


def test_concurrent_relays_publish_every_event_exactly_once(
    pg_engine: sa.Engine, unique_name: str
) -> None:
    events = _stage(pg_engine, 600)
    broker = GatedBroker()
    broker.holding.set()  # no gate
    relays = [OutboxRelay(pg_engine, outbox, broker, unique_name, batch_size=25) for _ in range(3)]

    def drain(relay: OutboxRelay) -> None:
        while relay.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)

    counts = Counter(e.id for e in broker.published)
    assert set(counts) == {e.id for e in events}
    assert set(counts.values()) == {1}
