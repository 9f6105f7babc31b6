"""Put messages straight into a queue's dead-letter queue, as a consumer that gave up on them
would have: for tests of what shows dead letters, without waiting through every retry."""

from __future__ import annotations

import time

import kombu

from keel_common.messaging import Envelope, QueueSpec
from keel_common.messaging.dead_queue import DEAD_AT_HEADER, ERROR_HEADER
from keel_common.messaging.embedded import declare_topology
from keel_common.messaging.embedded_sqlite import configure_kombu_models, embedded_url


def dead_letter(
    url: str, spec: QueueSpec, *, count: int = 1, exchange: str = "keel.events"
) -> None:
    """``count`` undecodable messages into ``spec.dead_queue`` on the embedded broker ``url``."""
    options: dict[str, object] = {}
    if url.startswith(("sqla+", "sqlalchemy+")):
        url, options, _ = embedded_url(url)
    with kombu.Connection(url, transport_options=options) as connection:
        channel = connection.channel()
        declare_topology(channel, exchange, [spec])
        producer = kombu.Producer(channel, auto_declare=False)
        for n in range(count):
            producer.publish(
                f"not an envelope {n}".encode(), exchange="", routing_key=spec.dead_queue
            )


def dead_letter_envelopes(
    url: str,
    spec: QueueSpec,
    envelopes: list[Envelope],
    *,
    error: str = "RuntimeError: the index is down",
    exchange: str = "keel.events",
) -> None:
    """``envelopes`` into ``spec.dead_queue`` on the embedded broker ``url``, with the error
    header a consumer that gave up on them writes."""
    options: dict[str, object] = {}
    if url.startswith(("sqla+", "sqlalchemy+")):
        url, options, _ = embedded_url(url)
    with kombu.Connection(url, transport_options=options) as connection:
        channel = connection.channel()
        configure_kombu_models(channel)
        declare_topology(channel, exchange, [spec])
        producer = kombu.Producer(channel, auto_declare=False)
        for envelope in envelopes:
            producer.publish(
                envelope.to_json(),
                exchange="",
                routing_key=spec.dead_queue,
                content_type="application/json",
                content_encoding="utf-8",
                message_id=envelope.id,
                type=envelope.type,
                headers={ERROR_HEADER: error, DEAD_AT_HEADER: time.time()},
            )


def queue_depth(url: str, queue: str) -> int:
    """Messages in ``queue`` of the embedded broker ``url`` (ready or leased)."""
    options: dict[str, object] = {}
    if url.startswith(("sqla+", "sqlalchemy+")):
        url, options, _ = embedded_url(url)
    with kombu.Connection(url, transport_options=options) as connection:
        channel = connection.channel()
        configure_kombu_models(channel)
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
