from __future__ import annotations

import pytest

from keel_common.messaging import QueueSpec, consumer_queue, platform_queues
from keel_common.messaging.topology import dead_letter_exchange


def test_the_platform_topology_is_the_union_of_the_service_declarations() -> None:
    from importlib import metadata

    declared = {
        spec.name
        for entry_point in metadata.entry_points(group="keel.services")
        for spec in entry_point.load().queues
    }
    assert {spec.name for spec in platform_queues()} == declared
    assert declared  # the workspace installs every service


def test_queue_names_are_unique() -> None:
    names = [spec.name for spec in platform_queues()]
    assert len(names) == len(set(names))


def test_unknown_queue_names_the_declared_ones() -> None:
    with pytest.raises(KeyError, match="declared"):
        consumer_queue("nope", [QueueSpec("a.q", ("x.y.z.v1",))])
    assert consumer_queue("a.q", [QueueSpec("a.q", ("x.y.z.v1",))]).name == "a.q"


def test_delays_follow_the_attempts_and_the_last_one_repeats() -> None:
    spec = QueueSpec("q", ("a.b.c.v1",), max_attempts=6, retry_delays=(1, 5, 30))

    assert [spec.delay_after(n) for n in range(1, 6)] == [1, 5, 30, 30, 30]


def test_each_distinct_delay_has_one_retry_queue_named_by_milliseconds() -> None:
    spec = QueueSpec("q", ("a.b.c.v1",), retry_delays=(0.5, 10, 10))

    assert spec.retry_queues == {"q.retry.500ms": 500, "q.retry.10000ms": 10000}
    assert spec.retry_queue(0.5) == "q.retry.500ms"
    assert spec.dead_queue == "q.dead"
    assert dead_letter_exchange("keel.events") == "keel.events.dlx"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "", "routing_keys": ("a",)},
        {"name": "q", "routing_keys": ()},
        {"name": "q", "routing_keys": ("a",), "max_attempts": 0},
        {"name": "q", "routing_keys": ("a",), "retry_delays": ()},
        {"name": "q", "routing_keys": ("a",), "retry_delays": (1, 0)},
    ],
)
def test_invalid_specs_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        QueueSpec(**kwargs)  # type: ignore[arg-type]
