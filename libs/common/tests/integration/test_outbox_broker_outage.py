"""The issue's "done when": stop RabbitMQ while a service keeps committing events and the relay
keeps publishing; once RabbitMQ is back, every event arrives and none is lost.

Stops the shared RabbitMQ (``rabbitmqctl stop_app``), hence ``serial``: it runs alone, after the
parallel pass, and always starts RabbitMQ again, whatever happens.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pika
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from keel_common.messaging import Envelope, QueueSpec, create_broker
from keel_common.messaging.topology import dead_letter_exchange
from keel_common.outbox import OutboxRelay, outbox_table, stage
from keel_common.testing.plugin import require

pytestmark = [pytest.mark.serial, pytest.mark.rabbitmq, pytest.mark.postgres]

EVENTS = 600
STOP_AFTER = 150  # events committed before RabbitMQ goes down
OUTAGE = 3.0  # seconds RabbitMQ stays down while events keep being committed
WAIT = 180.0  # seconds to wait for every event once RabbitMQ is back (a failure, not a timing)
PLACED = "shop.order.placed.v1"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@contextmanager
def rabbitmq_stopped() -> Iterator[None]:
    """Stop RabbitMQ's application for the block; it is started again even if the block fails."""
    _rabbitmqctl("stop_app")
    try:
        yield
    finally:
        _rabbitmqctl("start_app")
        _rabbitmqctl("await_startup")


@contextmanager
def running(target, *args, **kwargs) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=target, args=args, kwargs={**kwargs, "stop": stop})
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(60)


def _delete_topology(url: str, exchange: str, spec: QueueSpec) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in (spec.name, spec.dead_queue, *spec.retry_queues):
        channel.queue_delete(queue)
    channel.exchange_delete(spec.retry_exchange)
    channel.exchange_delete(exchange)
    channel.exchange_delete(dead_letter_exchange(exchange))
    connection.close()


def test_no_outbox_event_is_lost_while_rabbitmq_is_down(
    rabbitmq_url: str, postgres_url: str, unique_name: str
) -> None:
    require(shutil.which("rabbitmqctl") is not None, "rabbitmqctl is not installed")
    engine = sa.create_engine(postgres_url)
    metadata = sa.MetaData()
    outbox = outbox_table(metadata)
    metadata.create_all(engine)
    spec = QueueSpec(f"{unique_name}.q", (PLACED,))
    exchange = f"{unique_name}.ex"
    publisher = create_broker(rabbitmq_url, exchange=exchange, service="core", queues=[spec])
    consumer = create_broker(rabbitmq_url, exchange=exchange, service="notif", queues=[spec])
    publisher.check()  # the queue exists before the first event is published
    relay = OutboxRelay(engine, outbox, publisher, "core", batch_size=50, poll_interval=0.05)
    received: set[str] = set()
    staged: list[str] = []
    try:
        with running(consumer.consume, spec, lambda e: received.add(e.id)), running(relay.run):
            _commit_events(engine, staged, STOP_AFTER)
            with rabbitmq_stopped():
                _commit_events(engine, staged, EVENTS - STOP_AFTER, spread_over=OUTAGE)
            deadline = time.monotonic() + WAIT
            while received != set(staged) and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        publisher.close()
        engine.dispose()
        _delete_topology(rabbitmq_url, exchange, spec)

    assert len(staged) == EVENTS
    assert set(staged) - received == set()  # nothing lost
    assert received == set(staged)


def _commit_events(
    engine: sa.Engine, staged: list[str], count: int, *, spread_over: float = 0.5
) -> None:
    """A service at work: small transactions, each committing state and its events."""
    sessions = sessionmaker(engine)
    per_transaction = 10
    for _ in range(0, count, per_transaction):
        events = [Envelope.new(PLACED, "keel-core", {"n": len(staged) + i}) for i in range(10)]
        with sessions.begin() as session:
            stage(session, events)
        staged.extend(e.id for e in events)
        time.sleep(spread_over * per_transaction / count)
