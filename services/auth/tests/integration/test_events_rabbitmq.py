"""The worker publishes what the use cases staged: events reach a real RabbitMQ queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pika
import pytest

from keel_auth.bootstrap import DECLARATION, bootstrap
from keel_auth.config import AuthSettings
from keel_common.messaging import QueueSpec, create_broker
from keel_common.worker import relay_for

from .conftest import PASSWORD, Client

pytestmark = pytest.mark.rabbitmq
EVENTS = ("auth.user.registered.v1", "auth.security.token_reuse_detected.v1")


@pytest.fixture
def spec(unique_name: str) -> QueueSpec:
    return QueueSpec(f"{unique_name}.q", EVENTS)


@pytest.fixture
def channel(rabbitmq_url: str, unique_name: str, spec: QueueSpec) -> Iterator[object]:
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        channel = connection.channel()
        yield channel
        for queue in (spec.name, spec.dead_queue, *spec.retry_queues):
            channel.queue_delete(queue)
        channel.exchange_delete(spec.retry_exchange)
        channel.exchange_delete(f"{unique_name}.ex")
        channel.exchange_delete(f"{unique_name}.ex.dlx")
    finally:
        connection.close()


def test_registered_and_reuse_events_reach_rabbitmq(
    client: Client,
    settings: AuthSettings,
    rabbitmq_url: str,
    unique_name: str,
    spec: QueueSpec,
    channel: Any,
) -> None:
    relay_settings = settings.model_copy(
        update={"broker_url": rabbitmq_url, "events_exchange": f"{unique_name}.ex"}
    )
    # The worker's relay, declaring only this test's queue.
    broker = create_broker(
        rabbitmq_url, exchange=f"{unique_name}.ex", service="auth", queues=[spec]
    )
    service = bootstrap(relay_settings, broker=broker)
    relay = relay_for(DECLARATION, service)
    assert relay is not None
    user = client.sign_up()
    pair = client.log_in()
    client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})
    client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})  # reuse

    try:
        assert relay.run_once() >= 2
    finally:
        service.close()

    received = []
    while True:
        method, _properties, body = channel.basic_get(f"{unique_name}.q", auto_ack=True)
        if method is None:
            break
        received.append((method.routing_key, json.loads(body)))
    assert [key for key, _ in received] == list(EVENTS)
    registered = received[0][1]
    assert (registered["source"], registered["subject"]) == ("keel-auth", user["id"])
    assert registered["data"]["email"] == "ada@example.com"
    assert PASSWORD not in json.dumps(received)
