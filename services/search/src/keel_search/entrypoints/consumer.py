"""The handler of the ``search.products`` subscription (``bootstrap.DECLARATION``): keeps
the index current with core's product events.

The worker's consumer threads share one handler, which hands their changes to one
group-committing index (see ``adapters.group_commit``); each message is acked only once its
change is committed. Order does not matter: a change only wins over a lower version, so
redeliveries and reordered events (retries, several consumers) are harmless, and the
duplicate outcome is reported for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from keel_common.clock import Clock
from keel_common.messaging import DUPLICATE, Envelope, HandlerResult, InvalidMessage
from keel_events import Event
from keel_events.core import ProductEvent
from keel_search.adapters.core_events import command_from_event
from keel_search.adapters.group_commit import GroupCommitIndex
from keel_search.adapters.metrics import INDEX_LAG
from keel_search.domain.products import ApplyOutcome
from keel_search.service_layer.indexing import apply_product_changes
from keel_search.service_layer.ports import SearchIndex

if TYPE_CHECKING:
    from keel_search.bootstrap import Search


class ProductEventHandler:
    """Applies each product event to ``index`` and records how late it became searchable."""

    def __init__(self, index: SearchIndex, clock: Clock, service: str = "search") -> None:
        self.index = index
        self._clock = clock
        self._lag = INDEX_LAG.labels(service)

    def __call__(self, event: Event, envelope: Envelope) -> HandlerResult | None:
        if not isinstance(event, ProductEvent):
            raise InvalidMessage(f"{envelope.type} is not a product event")
        try:
            occurred_at = datetime.fromisoformat(envelope.time)
        except ValueError as exc:
            raise InvalidMessage(f"{envelope.type}: {exc}") from None  # no retry can fix it
        [report] = apply_product_changes(
            [command_from_event(event, occurred_at)], self.index, self._clock
        )
        if report.outcome is ApplyOutcome.STALE:
            return DUPLICATE
        self._lag.observe(report.lag_seconds)
        return None

    def close(self) -> None:
        """Commit what is pending; the worker calls it after its consumers stopped."""
        self.index.close()


def product_events_handler(search: Search) -> ProductEventHandler:
    index = GroupCommitIndex(search.index, max_batch=search.settings.search_batch_size)
    return ProductEventHandler(index, search.clock, search.settings.service_name)
