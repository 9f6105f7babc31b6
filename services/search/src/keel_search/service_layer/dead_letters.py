"""How many messages each queue of the service has dead-lettered: support's first look when
the KeelDeadLetterQueueGrowing alert fires, and the only one under ``make run``."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

from keel_search.domain.errors import Forbidden

ADMIN_ROLE = "admin"

Q = TypeVar("Q")


def dead_letter_counts(
    count: Callable[[Q], int], queues: Sequence[Q], *, roles: Collection[str]
) -> list[tuple[Q, int]]:
    """Each queue with ``count(queue)``, the messages in its dead-letter queue (the broker's
    ``dead_letter_count``). Admins only."""
    if ADMIN_ROLE not in roles:
        raise Forbidden("dead letters are for admins")
    return [(queue, count(queue)) for queue in queues]
