"""``keel-search worker``: keeps the index current with core's product events.

Several consumers of the ``search.products`` queue run side by side and hand their changes to
one group-committing index (see ``adapters.group_commit``); each message is acked only once
its change is committed. Order does not matter: a change only wins over a lower version, so
redeliveries and reordered events (retries, several consumers) are harmless, and the
duplicate outcome is reported for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
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
from keel_common.metrics import SEARCH_INDEX_LAG as INDEX_LAG
from keel_search.adapters.core_events import UnreadableEvent, command_from_event
from keel_search.adapters.group_commit import GroupCommitIndex
from keel_search.bootstrap import bootstrap
from keel_search.config import SearchSettings
from keel_search.domain.products import ApplyOutcome
from keel_search.service_layer.indexing import apply_product_changes
from keel_search.service_layer.ports import SearchIndex

log = logging.getLogger(__name__)

QUEUE = "search.products"
PREFETCH = 10


def product_event_handler(
    index: SearchIndex, now: Callable[[], datetime], service: str = "search"
) -> Callable[[Envelope], HandlerResult | None]:
    lag = INDEX_LAG.labels(service)

    def handle(envelope: Envelope) -> HandlerResult | None:
        try:
            occurred_at = datetime.fromisoformat(envelope.time)
            command = command_from_event(envelope.type, envelope.data, occurred_at)
        except (UnreadableEvent, ValueError) as exc:
            raise InvalidMessage(str(exc)) from None  # dead-lettered: no retry can fix it
        [report] = apply_product_changes([command], index, now)
        if report.outcome is ApplyOutcome.STALE:
            return DUPLICATE
        lag.observe(report.lag_seconds)
        return None

    return handle


def run_consumers(
    broker: Broker,
    index: SearchIndex,
    now: Callable[[], datetime],
    stop: threading.Event,
    *,
    consumers: int,
    spec: QueueSpec | None = None,
) -> None:
    """Consume until ``stop`` is set; returns once every consumer has stopped."""
    spec = spec or consumer_queue(QUEUE)
    handler = product_event_handler(index, now)
    threads = [
        threading.Thread(
            target=broker.consume,
            args=(spec, handler),
            kwargs={"prefetch": PREFETCH, "stop": stop},
            name=f"consumer-{n}",
        )
        for n in range(consumers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_worker(settings: SearchSettings, stop: threading.Event) -> None:
    """What ``keel-search worker`` runs (search has no outbox, so no relay)."""
    wired = bootstrap(settings)
    broker = create_broker(
        settings.broker_url, exchange=settings.events_exchange, service=settings.service_name
    )
    index = GroupCommitIndex(wired.index, max_batch=settings.search_batch_size)
    log.info("search worker consuming", extra={"consumers": settings.search_consumers})
    try:
        run_consumers(broker, index, wired.now, stop, consumers=settings.search_consumers)
    finally:
        index.close()
        broker.close()
