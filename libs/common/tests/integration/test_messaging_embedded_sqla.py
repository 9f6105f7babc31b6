"""KombuBroker on kombu's SQLAlchemy transport over one SQLite file, between two processes:
the ``make run`` setup, where each service's worker is its own process and no broker runs."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from keel_common.messaging import Broker, Envelope, QueueSpec, create_broker
from keel_common.messaging.embedded import KombuBroker
from keel_common.testing.dead_letter_contract import check_dead_letters_list_discard_and_replay

WAIT = 60.0  # seconds before a test gives up waiting (a failure, not a timing)
PLACED = "shop.order.placed.v1"

# The other process builds the same topology from the same spec, as every service does from
# keel_common.messaging.topology, and publishes through its own broker object.
PUBLISHER = """
import sys
from keel_common.messaging import Envelope, QueueSpec, create_broker

url, exchange, queue, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
spec = QueueSpec(queue, ("shop.order.placed.v1",), max_attempts=2, retry_delays=(0.2,))
broker = create_broker(url, exchange=exchange, service="publisher", queues=[spec])
for start in range(0, count, 50):
    broker.publish_batch(
        [Envelope.new("shop.order.placed.v1", "keel-shop", {"n": n})
         for n in range(start, min(start + 50, count))]
    )
broker.close()
"""


def _spec(unique_name: str) -> QueueSpec:
    return QueueSpec(unique_name, (PLACED,), max_attempts=2, retry_delays=(0.2,))


def _publish_from_another_process(url: str, exchange: str, queue: str, count: int) -> None:
    subprocess.run(
        [sys.executable, "-c", PUBLISHER, url, exchange, queue, str(count)],
        check=True,
        timeout=WAIT,
    )


def test_events_published_by_one_process_reach_a_consumer_in_another(
    tmp_path: Path, unique_name: str
) -> None:
    url = f"sqla+sqlite:///{tmp_path / 'var' / 'broker.db'}"  # var/ does not exist yet
    spec = _spec(unique_name)
    broker = create_broker(url, exchange="keel.events", service="consumer", queues=[spec])
    assert isinstance(broker, KombuBroker)
    seen: list[int] = []
    stop = threading.Event()
    consumer = threading.Thread(
        target=broker.consume,
        args=(spec, lambda e: seen.append(e.data["n"])),
        kwargs={"stop": stop},
    )
    consumer.start()
    try:
        _publish_from_another_process(url, "keel.events", spec.name, 300)
        deadline = time.monotonic() + WAIT
        while len(seen) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        consumer.join(WAIT)
        broker.close()

    assert seen == list(range(300))


def test_events_wait_in_the_file_until_a_consumer_starts_and_failures_dead_letter(
    tmp_path: Path, unique_name: str
) -> None:
    url = f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    spec = _spec(unique_name)
    _publish_from_another_process(url, "keel.events", spec.name, 3)
    broker = create_broker(url, exchange="keel.events", service="consumer", queues=[spec])
    runs: list[int] = []

    def refuses_the_second(envelope: Envelope) -> None:
        runs.append(envelope.data["n"])
        if envelope.data["n"] == 1:
            raise RuntimeError("cannot handle this one")

    stop = threading.Event()
    consumer = threading.Thread(
        target=broker.consume, args=(spec, refuses_the_second), kwargs={"stop": stop}
    )
    consumer.start()
    try:
        deadline = time.monotonic() + WAIT
        while len(runs) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        while broker.dead_letter_count(spec) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert broker.dead_letter_count(spec) == 1
    finally:
        stop.set()
        consumer.join(WAIT)
        broker.close()

    assert sorted(runs) == [0, 1, 1, 2]  # n=1 ran max_attempts=2 times
    dead = _drain(url, spec.dead_queue)
    assert [Envelope.from_json(body).data["n"] for body in dead] == [1]


def _drain(url: str, queue: str) -> list[bytes]:
    import kombu

    from keel_common.messaging.embedded_sqlite import embedded_url

    kombu_url, options, _ = embedded_url(url)
    with kombu.Connection(kombu_url, transport_options=options) as connection:
        bound = kombu.Queue(queue, no_declare=True)(connection.channel())
        bodies = []
        while (message := bound.get(no_ack=True)) is not None:
            bodies.append(message.body)
        return bodies


# Consumes the queue and is killed (SIGKILL, no ack, no clean close) by its own handler on
# the first message: the message is leased to a process that no longer exists.
KILLED_CONSUMER = """
import os, signal, sys, threading
from keel_common.messaging import QueueSpec, create_broker

url, exchange, queue = sys.argv[1], sys.argv[2], sys.argv[3]
spec = QueueSpec(queue, ("shop.order.placed.v1",), max_attempts=2, retry_delays=(0.2,))
broker = create_broker(url, exchange=exchange, service="victim", queues=[spec])
broker.consume(spec, lambda e: os.kill(os.getpid(), signal.SIGKILL), stop=threading.Event())
"""


def test_a_message_held_by_a_killed_consumer_is_delivered_again_after_its_lease(
    tmp_path: Path, unique_name: str
) -> None:
    url = f"sqla+sqlite:///{tmp_path / 'broker.db'}?visibility_timeout=1"
    spec = _spec(unique_name)
    _publish_from_another_process(url, "keel.events", spec.name, 5)
    victim = subprocess.run(
        [sys.executable, "-c", KILLED_CONSUMER, url, "keel.events", spec.name], timeout=WAIT
    )
    assert victim.returncode == -9
    broker = create_broker(url, exchange="keel.events", service="consumer", queues=[spec])
    seen: list[int] = []
    stop = threading.Event()
    consumer = threading.Thread(
        target=broker.consume,
        args=(spec, lambda e: seen.append(e.data["n"])),
        kwargs={"stop": stop},
    )
    consumer.start()
    try:
        deadline = time.monotonic() + WAIT
        while len(seen) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        consumer.join(WAIT)
        broker.close()
    # n=0 was leased to the killed consumer: it comes back once the lease ran out, so later.
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert _drain(url, spec.name) == []  # every ack deleted its row: nothing left behind


@contextmanager
def _consuming(
    broker: Broker, spec: QueueSpec, handler: Callable[[Envelope], None]
) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=broker.consume, args=(spec, handler), kwargs={"stop": stop})
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(WAIT)


def test_dead_letters_are_listed_discarded_and_replayed(tmp_path: Path, unique_name: str) -> None:
    url = f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    spec = _spec(unique_name)
    broker = create_broker(url, exchange="keel.events", service="consumer", queues=[spec])
    check_dead_letters_list_discard_and_replay(broker, spec, _consuming, wait=WAIT)
