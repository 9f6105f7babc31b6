"""The dead-letter walk every Broker adapter must pass (list, discard, replay), run by each
adapter's own test module against its transport."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from keel_common.messaging import Broker, Envelope, QueueSpec

Consuming = Callable[[Broker, QueueSpec, Callable[[Envelope], None]], AbstractContextManager[None]]


def _wait_for(condition: Callable[[], bool], what: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.05)


def check_dead_letters_list_discard_and_replay(
    broker: Broker, spec: QueueSpec, consuming: Consuming, *, wait: float = 30.0
) -> None:
    """A handler that fails until its dependency is back dead-letters three events; they are
    listed (and stay), one is discarded, the others replayed and then handled."""
    handled: list[str] = []
    down = True

    def handler(envelope: Envelope) -> None:
        if down:
            raise RuntimeError("the index is down")
        handled.append(envelope.id)

    events = [Envelope.new(spec.routing_keys[0], "keel-test", {"n": n}) for n in range(3)]
    broker.publish_batch(events)
    with consuming(broker, spec, handler):
        _wait_for(lambda: broker.dead_letter_count(spec) == 3, "dead-lettering", wait)

    letters = broker.dead_letters(spec)
    assert sorted(d.message_id for d in letters) == sorted(e.id for e in events)
    assert {d.type for d in letters} == {spec.routing_keys[0]}
    assert all("RuntimeError: the index is down" in d.error for d in letters), letters
    assert all(d.dead_lettered_at is not None for d in letters)
    assert broker.dead_letter_count(spec) == 3  # reading took nothing away

    assert broker.discard_dead_letters(spec, events[0].id) == 1
    assert broker.dead_letter_count(spec) == 2
    down = False
    assert broker.replay_dead_letters(spec, events[1].id) == 1
    with consuming(broker, spec, handler):
        _wait_for(lambda: handled == [events[1].id], "the replayed event being handled", wait)
    assert broker.replay_dead_letters(spec) == 1
    with consuming(broker, spec, handler):
        _wait_for(lambda: len(handled) == 2, "the replay of the rest", wait)
    assert handled == [events[1].id, events[2].id]
    assert broker.dead_letter_count(spec) == 0
