"""The notification worker as the bench runs it: ``run_worker`` on the bench's own queue.

The only difference from ``keel-notification worker`` is the queue: the bench declares a
queue of its own instead of the shared ``notification.events``.
"""

from __future__ import annotations

import os
import signal
import threading

from keel_common.messaging import QueueSpec, consumer_queue, create_broker
from keel_notification.config import load
from keel_notification.entrypoints.consumer import run_worker


def main() -> None:
    settings = load()
    keys = consumer_queue("notification.events").routing_keys
    spec = QueueSpec(os.environ["BENCH_QUEUE"], keys)
    broker = create_broker(
        settings.broker_url, exchange=settings.events_exchange, service="bench", queues=[spec]
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    run_worker(settings, stop, spec=spec, broker=broker)


if __name__ == "__main__":
    main()
