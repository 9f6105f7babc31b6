"""KombuBroker on kombu's in-process ``memory://`` transport (no sockets).

Each test uses its own exchange and queue names: the memory transport's state is global to
the process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import kombu
import pytest

from keel_common.messaging import (
    Broker,
    Envelope,
    QueueSpec,
    create_broker,
)
from keel_common.messaging.consuming import ATTEMPT_HEADER, DUE_HEADER, ConsumerRun
from keel_common.messaging.embedded import KombuBroker, _ConsumeLoop
from keel_common.testing import ManualClock
from keel_common.testing.dead_letter_contract import check_dead_letters_list_discard_and_replay

WAIT = 10.0  # seconds before a test gives up waiting for the consumer (a failure, not a timing)


class SteppingClock:
    """Unix time that jumps a minute at every reading: every retry is due at once."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        self.now += 60
        return self.now


@pytest.fixture
def spec(unique_name: str) -> QueueSpec:
    return QueueSpec(
        f"{unique_name}.q", ("shop.order.placed.v1",), max_attempts=3, retry_delays=(5, 30)
    )


@pytest.fixture
def clock() -> ManualClock:
    """Unix time that only moves when the test says so (for retry due times)."""
    return ManualClock(1_000_000.0)


@pytest.fixture
def broker(unique_name: str, spec: QueueSpec, clock: ManualClock) -> Iterator[KombuBroker]:
    broker = KombuBroker(
        "memory://", exchange=f"{unique_name}.ex", service="svc", queues=[spec], clock=clock
    )
    yield broker
    broker.close()


def _event(n: int = 0) -> Envelope:
    return Envelope.new("shop.order.placed.v1", "keel-shop", {"n": n})


def _take(queue: str) -> list[kombu.Message]:
    with kombu.Connection("memory://") as connection:
        bound = kombu.Queue(queue, no_declare=True)(connection.channel())
        messages = []
        while (message := bound.get(no_ack=True)) is not None:
            messages.append(message)
        return messages


def _wait_for_messages(queue: str) -> list[kombu.Message]:
    deadline = time.monotonic() + WAIT
    while not (messages := _take(queue)):
        assert time.monotonic() < deadline, f"nothing arrived in {queue}"
        time.sleep(0.01)
    return messages


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the consumer did not get there"
        time.sleep(0.01)


@contextmanager
def consuming(
    broker: Broker, spec: QueueSpec, handler: Callable[[Envelope], None]
) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(
        target=broker.consume, args=(spec, handler), kwargs={"stop": stop}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(WAIT)
    assert not thread.is_alive(), "consume() did not return after stop was set"


def test_create_broker_picks_kombu_for_embedded_urls(unique_name: str) -> None:
    broker = create_broker("memory://", exchange=unique_name, service="svc")
    assert isinstance(broker, KombuBroker)


def test_publish_routes_by_event_type_to_the_bound_queue(
    broker: KombuBroker, spec: QueueSpec
) -> None:
    broker.publish_batch([_event(1), _event(2)])
    broker.publish(Envelope.new("shop.order.refunded.v1", "keel-shop", {}))  # nobody bound

    messages = _take(spec.name)

    assert [Envelope.from_json(m.body).data["n"] for m in messages] == [1, 2]
    assert messages[0].content_type == "application/json"


def test_consume_hands_each_envelope_to_the_handler_in_order(
    broker: KombuBroker, spec: QueueSpec
) -> None:
    events = [_event(n) for n in range(5)]
    broker.publish_batch(events)
    seen: list[Envelope] = []

    with consuming(broker, spec, seen.append):
        _wait_for(lambda: len(seen) == 5)

    assert seen == events
    assert _take(spec.name) == []  # acked, nothing left or restored


def test_a_failed_message_waits_for_its_delay_then_runs_again(
    broker: KombuBroker, spec: QueueSpec, clock: ManualClock
) -> None:
    attempts: list[float] = []

    def flaky(envelope: Envelope) -> None:
        attempts.append(clock.now)
        if len(attempts) == 1:
            raise RuntimeError("downstream is down")

    broker.publish(_event())
    with consuming(broker, spec, flaky):
        _wait_for(lambda: len(attempts) == 1)
        time.sleep(1.0)  # several consume ticks pass while the frozen clock says "not due"
        assert len(attempts) == 1
        clock.now += 5
        _wait_for(lambda: len(attempts) == 2)

    assert attempts == [1_000_000.0, 1_000_005.0]


def test_after_max_attempts_the_message_is_dead_lettered(unique_name: str, spec: QueueSpec) -> None:
    runs: list[str] = []

    def broken(envelope: Envelope) -> None:
        runs.append(envelope.id)
        raise RuntimeError("always fails")

    broker = KombuBroker(
        "memory://", exchange=f"{unique_name}.ex", service="svc", queues=[spec],
        clock=SteppingClock(),
    )  # fmt: skip
    event = _event()
    broker.publish(event)
    with consuming(broker, spec, broken):
        _wait_for(lambda: len(runs) == 3)
        time.sleep(0.6)  # more than one tick: a 4th run would have happened by now

    assert runs == [event.id] * 3
    assert broker.dead_letter_count(spec) == 1
    dead = _wait_for_messages(spec.dead_queue)
    assert [Envelope.from_json(m.body) for m in dead] == [event]
    assert dead[0].headers[ATTEMPT_HEADER] == 3


def test_a_body_that_is_not_json_goes_straight_to_the_dead_queue(
    broker: KombuBroker, spec: QueueSpec, unique_name: str
) -> None:
    broker.check()  # declares the topology the raw publish below is routed by
    with kombu.Connection("memory://") as connection:
        kombu.Producer(connection.channel()).publish(
            b"\x00garbage", exchange=f"{unique_name}.ex", routing_key="shop.order.placed.v1"
        )
    seen: list[Envelope] = []

    with consuming(broker, spec, seen.append):
        dead = _wait_for_messages(spec.dead_queue)

    assert seen == []
    assert [m.body for m in dead] == [b"\x00garbage"]


def test_the_retry_copy_carries_the_next_attempt_and_its_due_time(
    broker: KombuBroker, spec: QueueSpec, clock: ManualClock
) -> None:
    def fails(envelope: Envelope) -> None:
        raise RuntimeError("no")

    broker.publish(_event())
    with kombu.Connection("memory://") as connection:
        channel = connection.channel()
        loop = _ConsumeLoop(ConsumerRun(spec, fails, "svc"), channel, clock)
        delivered = kombu.Queue(spec.name, no_declare=True)(channel).get(no_ack=False)
        loop.on_message(delivered)

    copies = _take(spec.retry_queue(5))
    assert len(copies) == 1
    assert copies[0].headers[ATTEMPT_HEADER] == 2
    assert copies[0].headers[DUE_HEADER] == clock.now + 5
    assert json.loads(copies[0].body)["type"] == "shop.order.placed.v1"
    assert _take(spec.name) == []  # the original was acked, not requeued


def test_check_passes_on_a_working_transport(broker: KombuBroker) -> None:
    broker.check()


def test_dead_letters_are_listed_discarded_and_replayed(unique_name: str) -> None:
    spec = QueueSpec(f"{unique_name}.q", ("shop.order.placed.v1",), max_attempts=2)
    broker = KombuBroker(
        "memory://", exchange=f"{unique_name}.ex", service="svc", queues=[spec],
        clock=SteppingClock(),
    )  # fmt: skip
    check_dead_letters_list_discard_and_replay(broker, spec, consuming, wait=WAIT)


def test_waiting_count_is_the_queue_backlog(broker: KombuBroker, spec: QueueSpec) -> None:
    broker.check()  # declares the topology
    broker.publish_batch([_event(1), _event(2)])
    assert broker.waiting_count(spec) == 2
    _take(spec.name)
    assert broker.waiting_count(spec) == 0
