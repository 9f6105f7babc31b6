"""The worker process: event consumers and the dispatcher (``keel-notification worker``).

Each consumer thread takes events from ``notification.events``, logs the messages they cause
(once per event id), sends those that may go out now and records the outcomes before the
event is acked. Whatever cannot go out now (retries, quiet hours, a sender that died) is left
to the dispatcher thread.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime

from keel_common.messaging import (
    DUPLICATE,
    Broker,
    Envelope,
    HandlerResult,
    InvalidMessage,
    QueueSpec,
    consumer_queue,
    create_broker,
)
from keel_notification.bootstrap import Notifications, bootstrap
from keel_notification.config import NotificationSettings
from keel_notification.domain.errors import MalformedEvent
from keel_notification.entrypoints.dispatcher import count, run_dispatcher
from keel_notification.service_layer.delivery import deliver
from keel_notification.service_layer.intake import IncomingEvent, handle_event

log = logging.getLogger(__name__)

QUEUE = "notification.events"


def incoming(envelope: Envelope) -> IncomingEvent:
    return IncomingEvent(
        id=uuid.UUID(envelope.id),
        type=envelope.type,
        time=datetime.fromisoformat(envelope.time),
        data=envelope.data,
    )


class EventHandler:
    """The ``Handler`` of ``notification.events`` for ``Broker.consume``."""

    def __init__(self, app: Notifications) -> None:
        self.app = app

    def __call__(self, envelope: Envelope) -> HandlerResult | None:
        app = self.app
        try:
            accepted = handle_event(
                app.uow(),
                incoming(envelope),
                plan=app.planner,
                renderer=app.renderer,
                now=app.clock(),
                policy=app.policy,
                directory=app.directory,
            )
        except MalformedEvent as exc:
            raise InvalidMessage(str(exc)) from exc  # dead-lettered at once: retrying cannot help
        if accepted.duplicate:
            return DUPLICATE
        report = deliver(
            app.uow(), accepted.ready, sender=app.senders, policy=app.policy, clock=app.clock
        )
        count(report)
        return None


def consumer_threads(
    app: Notifications, broker: Broker, stop: threading.Event, threads: int, spec: QueueSpec
) -> list[threading.Thread]:
    handler = EventHandler(app)
    prefetch = app.settings.consumer_prefetch
    return [
        threading.Thread(
            target=broker.consume,
            args=(spec, handler),
            kwargs={"prefetch": prefetch, "stop": stop},
            name=f"consumer-{n}",
        )
        for n in range(threads)
    ]


def run_worker(
    settings: NotificationSettings,
    stop: threading.Event,
    *,
    app: Notifications | None = None,
    broker: Broker | None = None,
    spec: QueueSpec | None = None,
) -> None:
    """Consume and dispatch until ``stop`` is set (SIGTERM), then close the providers.

    ``spec`` defaults to ``notification.events`` from the shared topology.
    """
    app = app or bootstrap(settings)
    broker = broker or create_broker(
        settings.broker_url, exchange=settings.events_exchange, service="notification"
    )
    spec = spec or consumer_queue(QUEUE)
    threads = consumer_threads(app, broker, stop, settings.consumer_threads, spec)
    threads.append(threading.Thread(target=run_dispatcher, args=(app, stop), name="dispatcher"))
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"consumers": settings.consumer_threads})
    try:
        for thread in threads:
            thread.join()
    finally:
        broker.close()
        app.close()
