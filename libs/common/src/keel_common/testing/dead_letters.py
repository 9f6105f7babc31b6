"""Put messages straight into a queue's dead-letter queue, as a consumer that gave up on them
would have: for tests of what shows dead letters, without waiting through every retry."""

from __future__ import annotations

import kombu

from keel_common.messaging import QueueSpec
from keel_common.messaging.embedded import declare_topology
from keel_common.messaging.embedded_sqlite import embedded_url


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
