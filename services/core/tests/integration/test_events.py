"""Every change made through HTTP reaches a real RabbitMQ queue, through the outbox."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pika
import pytest
import requests

from keel_common.messaging import Broker, Envelope, QueueSpec, create_broker
from keel_common.worker import relay_for
from keel_core.bootstrap import DECLARATION, Core


@pytest.fixture
def watch(rabbitmq_url: str, unique_name: str) -> Iterator[tuple[Broker, QueueSpec]]:
    """A broker on an exchange of this test's own, with a queue bound to every core event."""
    spec = QueueSpec(f"{unique_name}.watch", ("core.#",), max_attempts=1)
    broker = create_broker(rabbitmq_url, exchange=unique_name, service="core", queues=(spec,))
    yield broker, spec
    broker.close()
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()
    for queue in (spec.name, spec.dead_queue, *spec.retry_queues):
        channel.queue_delete(queue)
    for exchange in (unique_name, f"{unique_name}.dlx", spec.retry_exchange):
        channel.exchange_delete(exchange)
    connection.close()


def _relay_once(wired: Core, broker: Broker) -> int:
    """One pass of the relay the worker runs from core's declaration, onto ``broker``."""
    relay = relay_for(DECLARATION, replace(wired, broker=broker))
    assert relay is not None
    return relay.run_once()


def _receive(broker: Broker, spec: QueueSpec, count: int) -> list[Envelope]:
    received: list[Envelope] = []
    stop = threading.Event()

    def handle(envelope: Envelope) -> None:
        received.append(envelope)
        if len(received) >= count:
            stop.set()

    consumer = threading.Thread(target=broker.consume, args=(spec, handle), kwargs={"stop": stop})
    consumer.start()
    stop.wait(30)  # a guard against hanging, not a speed check
    stop.set()
    consumer.join(30)
    return received


def _act(api: str, seller: Any, buyer: Any, create_product: Callable[..., Any]) -> dict[str, Any]:
    desk, lamp = create_product(stock=3), create_product(title="Lamp")
    requests.patch(
        f"{api}/v1/products/{desk['id']}", json={"price_cents": 40_000}, headers=seller.headers,
        timeout=10,
    )  # fmt: skip
    requests.delete(f"{api}/v1/products/{lamp['id']}", headers=seller.headers, timeout=10)
    body = {"items": [{"product_id": desk["id"], "quantity": 2}]}
    headers = buyer.headers | {"Idempotency-Key": "one"}
    order = requests.post(f"{api}/v1/orders", json=body, headers=headers, timeout=10).json()
    requests.post(f"{api}/v1/orders/{order['id']}/cancel", headers=buyer.headers, timeout=10)
    return {"desk": desk, "lamp": lamp, "order": order}


def test_changes_arrive_as_events_in_order(
    api: str,
    wired: Core,
    watch: tuple[Broker, QueueSpec],
    seller: Any,
    buyer: Any,
    create_product: Callable[..., Any],
) -> None:
    made = _act(api, seller, buyer, create_product)
    broker, spec = watch

    events = _receive(broker, spec, _relay_once(wired, broker))

    assert [(e.type, e.subject) for e in events] == [
        ("core.product.created.v1", made["desk"]["id"]),
        ("core.product.created.v1", made["lamp"]["id"]),
        ("core.product.updated.v1", made["desk"]["id"]),
        ("core.product.deleted.v1", made["lamp"]["id"]),
        ("core.product.updated.v1", made["desk"]["id"]),
        ("core.order.placed.v1", made["order"]["id"]),
        ("core.product.updated.v1", made["desk"]["id"]),
        ("core.order.cancelled.v1", made["order"]["id"]),
    ]
    assert {e.source for e in events} == {"keel-core"}
    desk_versions = [e.data["version"] for e in events if e.subject == made["desk"]["id"]]
    assert desk_versions == [1, 2, 3, 4]
    assert [e.data["stock"] for e in events if e.subject == made["desk"]["id"]] == [3, 3, 1, 3]
    assert events[3].data["deleted_at"] is not None


def test_event_data_is_the_full_product_and_order(
    api: str,
    wired: Core,
    watch: tuple[Broker, QueueSpec],
    seller: Any,
    buyer: Any,
    create_product: Callable[..., Any],
) -> None:
    made = _act(api, seller, buyer, create_product)
    broker, spec = watch

    events = _receive(broker, spec, _relay_once(wired, broker))

    created, desk = events[0].data, dict(made["desk"])
    # Product events carry the first thumbnail rather than the list of images.
    assert desk.pop("images") == [] and created["thumbnail_url"] is None
    # Listing is core's own (an unlisted product is announced as deleted), not in the contract.
    assert (desk.pop("listed"), desk.pop("unlisted_reason")) == (True, None)
    assert set(desk) <= set(created)
    for name, value in desk.items():
        if name.endswith("_at"):  # RFC 3339 either way: "+00:00" in events, "Z" over HTTP
            assert datetime.fromisoformat(created[name]) == datetime.fromisoformat(value)
        else:
            assert created[name] == value, name
    placed = next(e for e in events if e.type == "core.order.placed.v1").data
    assert placed["buyer_id"] == str(buyer.id)
    assert placed["items"] == made["order"]["items"]
    assert (placed["total_cents"], placed["currency"]) == (made["order"]["total_cents"], "EUR")
