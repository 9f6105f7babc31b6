from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from keel_common.messaging import Broker, BrokerError, Envelope, PublishError, QueueSpec
from keel_common.messaging.fakes import FakeBroker
from keel_common.testing.dead_letter_contract import check_dead_letters_list_discard_and_replay

SPEC = QueueSpec("q", ("shop.order.*.v1",), max_attempts=3)


def _event(event_type: str = "shop.order.placed.v1") -> Envelope:
    return Envelope.new(event_type, "keel-shop", {})


def test_consume_delivers_the_published_events_the_queue_is_bound_to() -> None:
    broker = FakeBroker()
    placed, refunded = _event(), _event("shop.refund.made.v1")
    broker.publish_batch([placed, refunded])
    seen: list[Envelope] = []

    broker.consume(SPEC, seen.append, stop=threading.Event())
    broker.consume(SPEC, seen.append, stop=threading.Event())  # nothing new: no redelivery

    assert seen == [placed]


def test_a_failing_handler_runs_max_attempts_times_then_is_dead_lettered() -> None:
    broker = FakeBroker()
    event = _event()
    broker.publish(event)
    runs: list[str] = []

    def broken(envelope: Envelope) -> None:
        runs.append(envelope.id)
        raise RuntimeError("no")

    broker.consume(SPEC, broken, stop=threading.Event())

    assert runs == [event.id] * 3
    assert [Envelope.from_json(body) for body in broker.dead["q"]] == [event]
    assert broker.dead_letter_count(SPEC) == 1


def test_a_failing_fake_refuses_publishes_and_checks() -> None:
    broker = FakeBroker()
    broker.failure = ConnectionError("down")
    broker.reachable = False

    with pytest.raises(PublishError):
        broker.publish(_event())
    with pytest.raises(BrokerError):
        broker.check()
    assert broker.published == []


@contextmanager
def _consuming(
    broker: Broker, spec: QueueSpec, handler: Callable[[Envelope], None]
) -> Iterator[None]:
    broker.consume(spec, handler, stop=threading.Event())  # the fake delivers, then returns
    yield


def test_the_fake_lists_discards_and_replays_dead_letters() -> None:
    spec = QueueSpec("fake.q", ("shop.order.placed.v1",), max_attempts=2)
    check_dead_letters_list_discard_and_replay(FakeBroker(), spec, _consuming, wait=5.0)


def test_waiting_count_is_what_the_queue_has_not_consumed_yet() -> None:
    broker = FakeBroker()
    broker.publish_batch([_event(), _event("shop.refund.made.v1"), _event()])
    assert broker.waiting_count(SPEC) == 2
    broker.consume(SPEC, lambda envelope: None, stop=threading.Event())
    assert broker.waiting_count(SPEC) == 0
