"""Domain events between services: one envelope, one topic exchange, one Broker port.

``create_broker(settings.broker_url, exchange=settings.events_exchange, service=...)`` picks
the adapter from the URL: ``amqp://`` (and ``amqps://``) is RabbitMQ through pika; anything
else (``sqla+sqlite:///var/broker.db`` for ``make run``, ``memory://`` for unit tests) is
kombu's embedded virtual transport. Service code sees only ``Broker``.
"""

from __future__ import annotations

from collections.abc import Sequence

from keel_common.messaging.envelope import Envelope, InvalidMessage
from keel_common.messaging.port import (
    DUPLICATE,
    Broker,
    BrokerError,
    Handler,
    HandlerResult,
    PublishError,
)
from keel_common.messaging.topology import QueueSpec, consumer_queue, platform_queues

__all__ = [
    "DUPLICATE",
    "Broker",
    "BrokerError",
    "Envelope",
    "Handler",
    "HandlerResult",
    "InvalidMessage",
    "PublishError",
    "QueueSpec",
    "consumer_queue",
    "create_broker",
    "platform_queues",
]


def create_broker(
    url: str,
    *,
    exchange: str,
    service: str,
    queues: Sequence[QueueSpec] | None = None,
) -> Broker:
    """The adapter for ``url``; ``queues`` is the topology this process declares on connect
    (default: every declared service's queues, ``platform_queues()``).

    Nothing connects here: the first publish, consume or check does.
    """
    if url.startswith(("amqp://", "amqps://")):
        from keel_common.messaging.rabbitmq import RabbitMqBroker

        return RabbitMqBroker(url, exchange=exchange, service=service, queues=queues)
    from keel_common.messaging.embedded import KombuBroker

    return KombuBroker(url, exchange=exchange, service=service, queues=queues)
