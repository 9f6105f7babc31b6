"""The notification worker as the bench runs it: the generic worker on the bench's own queue.

The only difference from ``keel-notification worker`` is the queue: the bench declares a
queue of its own instead of the shared ``notification.events``.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading

from workload import events_subscription

from keel_common.messaging import create_broker
from keel_common.worker import run_worker
from keel_notification.bootstrap import DECLARATION, bootstrap
from keel_notification.config import load


def main() -> None:
    settings = load()
    subscription = events_subscription()
    bench = dataclasses.replace(subscription, queue=os.environ["BENCH_QUEUE"])
    declaration = dataclasses.replace(DECLARATION, consumes=(bench,))
    broker = create_broker(
        settings.broker_url,
        exchange=settings.events_exchange,
        service="bench",
        queues=declaration.queues,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    run_worker(declaration, bootstrap(settings, broker=broker), stop)


if __name__ == "__main__":
    main()
