from __future__ import annotations

import pytest

from keel_common.messaging import CONSUMER_QUEUES, QueueSpec, consumer_queue
from keel_common.messaging.topology import dead_letter_exchange


def test_registry_binds_notification_and_search_to_the_events_they_handle() -> None:
    notification = set(consumer_queue("notification.events").routing_keys)
    search = set(consumer_queue("search.products").routing_keys)

    assert {
        "auth.user.registered.v1",
        "auth.otp.requested.v1",
        "auth.password_reset.requested.v1",
        "auth.security.token_reuse_detected.v1",
        "core.order.placed.v1",
        "core.order.cancelled.v1",
    } <= notification
    assert search == {
        "core.product.created.v1",
        "core.product.updated.v1",
        "core.product.deleted.v1",
    }


def test_registry_queue_names_are_unique() -> None:
    names = [spec.name for spec in CONSUMER_QUEUES]
    assert len(names) == len(set(names))


def test_unknown_queue_names_the_registered_ones() -> None:
    with pytest.raises(KeyError, match=r"notification\.events"):
        consumer_queue("nope")


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
