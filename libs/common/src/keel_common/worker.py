"""``keel-<svc> worker``: one generic process for every service, driven by its declaration.

It runs, each in its own thread until SIGTERM: the outbox relay (if the service declares an
outbox), ``consumers`` threads per subscription, and the declared background loops. Each
consumer parses the envelope into the event's contract before the service's handler sees
it: an event that does not fit its contract, or of a type the queue does not take, is
dead-lettered at once (no retry can fix it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from keel_common.messaging import Envelope, Handler, HandlerResult, InvalidMessage
from keel_common.outbox import OutboxRelay
from keel_common.service import EventHandler, Service, ServiceDeclaration, Subscription

log = logging.getLogger(__name__)


def producer_source(producer: str) -> str:
    """The envelope ``source`` of events published by ``producer`` (its outbox stamps it)."""
    return f"keel-{producer}"


def typed_handler(subscription: Subscription[Any], handler: EventHandler) -> Handler:
    """The broker-level ``Handler`` that parses each envelope into its contract.

    An envelope whose ``source`` is not the contract's ``producer`` is refused (and so
    dead-lettered): only auth may announce a user's registration, whoever else can reach the
    exchange. The broker's topic permissions stop the publish; this stops the consumer from
    believing one that got through a misconfigured broker.
    """
    contracts = {event.type: event for event in subscription.events}

    def handle(envelope: Envelope) -> HandlerResult | None:
        contract = contracts.get(envelope.type)
        if contract is None:
            raise InvalidMessage(f"{subscription.queue} does not take {envelope.type}")
        if envelope.source != producer_source(contract.producer):
            raise InvalidMessage(
                f"{envelope.type} is published by {producer_source(contract.producer)} only, "
                f"not by {envelope.source[:64]!r}"
            )
        try:
            event = contract.from_data(envelope.data)
        except ValidationError as exc:
            # Field names and error kinds only: the values may be secrets.
            problems = ", ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors()
            )
            raise InvalidMessage(
                f"{envelope.type} does not fit its contract ({problems})"
            ) from None
        return handler(event, envelope)

    return handle


def relay_for(declaration: ServiceDeclaration[Any], service: Service[Any]) -> OutboxRelay | None:
    """The outbox relay of ``service``, or None when it publishes nothing."""
    if declaration.outbox is None or service.outbox is None:
        return None
    return OutboxRelay(
        service.engine,
        service.outbox,
        service.broker,
        declaration.name,
        retention=declaration.outbox.retention,
        prune_interval=declaration.outbox.prune_interval,
    )


def worker_threads(
    declaration: ServiceDeclaration[Any],
    service: Service[Any],
    stop: threading.Event,
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]] = lambda target: target,
) -> tuple[list[threading.Thread], list[Any]]:
    """The threads of a worker (not started) and the handlers to close after they stop;
    ``wrap`` wraps each thread's target (``keel-local`` names the service in its logs)."""
    threads: list[threading.Thread] = []
    handlers: list[Any] = []
    relay = relay_for(declaration, service)
    if relay is not None:
        threads.append(threading.Thread(target=wrap(relay.run), args=(stop,), name="outbox-relay"))
    for subscription in declaration.consumes:
        handler = subscription.handler(service)
        handlers.append(handler)
        typed = typed_handler(subscription, handler)
        for n in range(subscription.consumer_count(service)):
            threads.append(
                threading.Thread(
                    target=wrap(service.broker.consume),
                    args=(subscription.spec, typed),
                    kwargs={"prefetch": subscription.prefetch_count(service), "stop": stop},
                    name=f"{subscription.queue}-{n}",
                )
            )
    for name, loop in declaration.background.items():
        threads.append(threading.Thread(target=wrap(loop), args=(service, stop), name=name))
    return threads, handlers


def run_worker(
    declaration: ServiceDeclaration[Any], service: Service[Any], stop: threading.Event
) -> None:
    """Run the service's relay, consumers and loops until ``stop`` is set, then close."""
    threads, handlers = worker_threads(declaration, service, stop)
    for thread in threads:
        thread.start()
    log.info(
        "worker started",
        extra={
            "relay": declaration.outbox is not None,
            "queues": [s.queue for s in declaration.consumes],
            "threads": len(threads),
        },
    )
    try:
        for thread in threads:
            thread.join()
    finally:
        for handler in handlers:
            close = getattr(handler, "close", None)
            if callable(close):
                close()
        service.close()
