"""RabbitMqBroker against a real RabbitMQ: confirms, retries through TTL queues, dead-lettering,
redelivery after a crash, and reconnecting when the broker drops a connection."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pika
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from keel_common.messaging import (
    DUPLICATE,
    BrokerError,
    Envelope,
    HandlerResult,
    PublishError,
    QueueSpec,
    create_broker,
)
from keel_common.messaging.consuming import ATTEMPT_HEADER
from keel_common.messaging.rabbitmq import RabbitMqBroker
from keel_common.messaging.topology import dead_letter_exchange
from keel_common.testing.dead_letter_contract import check_dead_letters_list_discard_and_replay

pytestmark = pytest.mark.rabbitmq
WAIT = 30.0  # seconds before a test gives up waiting (a failure, not a timing)
PLACED = "shop.order.placed.v1"


@pytest.fixture
def spec(unique_name: str) -> QueueSpec:
    return QueueSpec(f"{unique_name}.q", (PLACED,), max_attempts=3, retry_delays=(0.5, 0.2))


@pytest.fixture
def admin(rabbitmq_url: str) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    yield connection.channel()
    connection.close()


@pytest.fixture
def broker(rabbitmq_url: str, unique_name: str, spec: QueueSpec, admin) -> Iterator[RabbitMqBroker]:
    broker = RabbitMqBroker(
        rabbitmq_url, exchange=f"{unique_name}.ex", service=unique_name, queues=[spec]
    )
    yield broker
    broker.close()
    for queue in (spec.name, spec.dead_queue, *spec.retry_queues, f"{unique_name}.full"):
        admin.queue_delete(queue)
    admin.exchange_delete(spec.retry_exchange)
    admin.exchange_delete(f"{unique_name}.ex")
    admin.exchange_delete(dead_letter_exchange(f"{unique_name}.ex"))


def _event(n: int = 0) -> Envelope:
    return Envelope.new(PLACED, "keel-shop", {"n": n})


def _depth(admin, queue: str) -> int:
    return admin.queue_declare(queue, passive=True).method.message_count


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _close_connections(marker: str) -> int:
    """Have RabbitMQ drop every connection whose client properties mention ``marker``."""
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "client_properties", "-q",
         "--no-table-headers"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    pids = [line.split("\t")[0] for line in listing.splitlines() if marker in line]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "close_connection", pid, "test"], check=True,
                       capture_output=True)  # fmt: skip
    return len(pids)


@contextmanager
def consuming(broker: RabbitMqBroker, spec: QueueSpec, handler) -> Iterator[threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(
        target=broker.consume, args=(spec, handler), kwargs={"stop": stop}, daemon=True
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(WAIT)
    assert not thread.is_alive(), "consume() did not return after stop was set"


def test_create_broker_picks_rabbitmq_for_amqp_urls(rabbitmq_url: str) -> None:
    broker = create_broker(rabbitmq_url, exchange="x", service="svc")
    assert isinstance(broker, RabbitMqBroker)


def test_a_confirmed_batch_is_in_the_queue_when_publish_returns(
    broker: RabbitMqBroker, spec: QueueSpec, admin
) -> None:
    events = [_event(n) for n in range(250)]

    broker.publish_batch(events)

    assert _depth(admin, spec.name) == 250
    _, properties, body = admin.basic_get(spec.name, auto_ack=True)
    assert Envelope.from_json(body) == events[0]
    assert properties.message_id == events[0].id
    assert (properties.content_type, properties.delivery_mode) == ("application/json", 2)


def test_a_nacked_message_raises_and_the_next_publish_works(
    broker: RabbitMqBroker, spec: QueueSpec, unique_name: str, admin
) -> None:
    broker.check()  # declares the topology
    full = f"{unique_name}.full"  # a queue that refuses everything: the broker nacks
    admin.queue_declare(full, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    admin.queue_bind(full, f"{unique_name}.ex", routing_key="shop.order.refused.v1")

    with pytest.raises(PublishError, match="refused"):
        broker.publish_batch([_event(1), Envelope.new("shop.order.refused.v1", "keel-shop", {})])

    broker.publish(_event(2))
    assert _depth(admin, spec.name) == 2  # event 1 was stored; its batch still raised


def test_publishing_reconnects_after_the_broker_dropped_the_connection(
    broker: RabbitMqBroker, spec: QueueSpec, unique_name: str, admin
) -> None:
    broker.publish(_event(1))
    assert _close_connections(f"{unique_name} publisher") == 1

    broker.publish(_event(2))  # no error: the dropped connection is replaced

    assert _depth(admin, spec.name) == 2


def test_an_unreachable_broker_raises_broker_error(unique_name: str) -> None:
    broker = RabbitMqBroker(
        "amqp://guest:guest@127.0.0.1:1/%2F", exchange=unique_name, service=unique_name
    )
    with pytest.raises(BrokerError):
        broker.check()
    with pytest.raises(BrokerError):
        broker.publish(_event())


def test_consume_handles_and_acks_every_message(broker: RabbitMqBroker, spec, admin) -> None:
    events = [_event(n) for n in range(300)]
    broker.publish_batch(events)
    seen: list[Envelope] = []

    with consuming(broker, spec, seen.append):
        _wait_for(lambda: len(seen) == 300, "300 messages")
        _wait_for(lambda: _depth(admin, spec.name) == 0, "the acks")

    assert seen == events


def test_a_failure_is_retried_through_the_delay_queue(broker: RabbitMqBroker, spec) -> None:
    runs: list[float] = []

    def flaky(envelope: Envelope) -> None:
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise RuntimeError("downstream is down")

    broker.publish(_event())
    with consuming(broker, spec, flaky):
        _wait_for(lambda: len(runs) == 2, "the retry")

    assert runs[1] - runs[0] >= 0.5  # the 500 ms TTL queue held it at least that long


def test_after_max_attempts_the_message_is_dead_lettered_with_its_history(
    broker: RabbitMqBroker, spec: QueueSpec, admin
) -> None:
    runs: list[str] = []

    def broken(envelope: Envelope) -> None:
        runs.append(envelope.id)
        raise RuntimeError("always fails")

    event = _event()
    broker.publish(event)
    with consuming(broker, spec, broken):
        _wait_for(lambda: _depth(admin, spec.dead_queue) == 1, "the dead letter")

    assert runs == [event.id] * 3
    _, properties, body = admin.basic_get(spec.dead_queue, auto_ack=True)
    assert Envelope.from_json(body) == event
    assert properties.headers[ATTEMPT_HEADER] == 3
    reasons = {(d["queue"], d["reason"]) for d in properties.headers["x-death"]}
    assert (spec.name, "rejected") in reasons
    assert (spec.retry_queue(0.5), "expired") in reasons


def test_a_body_that_is_not_json_is_dead_lettered_at_once(
    broker: RabbitMqBroker, spec: QueueSpec, unique_name: str, admin
) -> None:
    broker.check()
    admin.basic_publish(f"{unique_name}.ex", PLACED, b"<xml/>")
    seen: list[Envelope] = []

    with consuming(broker, spec, seen.append):
        _wait_for(lambda: _depth(admin, spec.dead_queue) == 1, "the dead letter")

    assert seen == []


class _Crash(BaseException):
    """Kills the consumer between the handler's commit and the ack, like a lost worker."""


def test_a_redelivery_after_a_crash_is_recognised_as_a_duplicate(
    broker: RabbitMqBroker, spec: QueueSpec, sqlite_url: str, admin
) -> None:
    engine = sa.create_engine(sqlite_url)
    metadata = sa.MetaData()
    # The consumer's inbox: the ids of the events it handled, committed with the effect.
    processed = sa.Table("processed", metadata, sa.Column("event_id", sa.String(36), unique=True))
    effects = sa.Table("effects", metadata, sa.Column("event_id", sa.String(36)))
    metadata.create_all(engine)
    sessions = sessionmaker(engine)
    results: list[HandlerResult | None] = []

    def handle(envelope: Envelope) -> HandlerResult | None:
        with sessions.begin() as session:
            seen = sa.select(processed.c.event_id).where(processed.c.event_id == envelope.id)
            if session.execute(seen).first() is not None:
                results.append(DUPLICATE)
                return DUPLICATE
            session.execute(sa.insert(processed).values(event_id=envelope.id))
            session.execute(sa.insert(effects).values(event_id=envelope.id))
        results.append(None)
        if len(results) == 1:
            raise _Crash()  # committed, never acked: RabbitMQ redelivers it
        return None

    broker.publish(_event())
    crashed: list[BaseException] = []
    thread = threading.Thread(target=_run_catching, args=(broker, spec, handle, crashed))
    thread.start()
    thread.join(WAIT)
    assert [type(e) for e in crashed] == [_Crash]

    with consuming(broker, spec, handle):
        _wait_for(lambda: len(results) == 2, "the redelivery")
        _wait_for(lambda: _depth(admin, spec.name) == 0, "the ack")

    assert results == [None, DUPLICATE]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(effects)).scalar() == 1
        assert connection.execute(sa.select(sa.func.count()).select_from(processed)).scalar() == 1
    engine.dispose()


def _run_catching(broker, spec, handler, caught: list[BaseException]) -> None:
    try:
        broker.consume(spec, handler, stop=threading.Event())
    except _Crash as exc:
        caught.append(exc)


def test_a_consumer_reconnects_when_the_broker_drops_it(
    broker: RabbitMqBroker, spec: QueueSpec, unique_name: str
) -> None:
    seen: list[Envelope] = []
    broker.publish(_event(1))
    with consuming(broker, spec, seen.append):
        _wait_for(lambda: len(seen) == 1, "the first message")
        assert _close_connections(f"{unique_name} consumer") == 1
        broker.publish(_event(2))
        _wait_for(lambda: len(seen) == 2, "a message after the reconnect")

    assert [e.data["n"] for e in seen] == [1, 2]


def test_declaring_the_topology_twice_is_harmless(broker: RabbitMqBroker, spec, admin) -> None:
    broker.check()
    broker.close()
    broker.check()

    assert _depth(admin, spec.name) == 0


def test_declare_creates_the_queues_before_any_consumer_runs(
    broker: RabbitMqBroker, spec: QueueSpec, admin
) -> None:
    broker.declare()  # what `keel-<svc> migrate` does on RabbitMQ; nothing published yet

    for queue in (spec.name, spec.dead_queue, *spec.retry_queues):
        admin.queue_declare(queue, passive=True)  # raises (404) for a queue that is missing
    # Retries go through the queue's own exchange, never the default one (which a broker
    # user limited to its own queues may not write to).
    admin.exchange_declare(spec.retry_exchange, "direct", passive=True)


def test_dead_letters_are_listed_discarded_and_replayed(broker: RabbitMqBroker, spec) -> None:
    check_dead_letters_list_discard_and_replay(broker, spec, consuming, wait=WAIT)
