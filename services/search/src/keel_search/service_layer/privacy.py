"""Search's part of an account erasure (issue #14): the user's products leave the index.

Core unlists them too, and its deletion events would remove them here as well; search does
not wait for those (another queue, perhaps a backlog): it writes a tombstone one version
above what it holds, so a late update of the product stays stale and never brings it back.
"""

from __future__ import annotations

from uuid import UUID

from keel_common.clock import Clock
from keel_events.privacy import SearchUserErased
from keel_search.domain.products import ApplyOutcome, ProductTombstone
from keel_search.service_layer.ports import SearchIndex, UnitOfWork

_BATCH = 500


def erase_user(index: SearchIndex, uow: UnitOfWork, user_id: UUID, clock: Clock) -> int:
    """Remove every product of ``user_id`` from the index and report it; the number removed.
    Safe to run twice (nothing is left the second time; auth keeps the first report)."""
    now = clock()
    removed = 0
    while documents := index.owned_by(user_id, _BATCH):
        outcomes = index.apply([ProductTombstone(d.id, d.version + 1, now) for d in documents])
        removed += outcomes.count(ApplyOutcome.APPLIED)
        if ApplyOutcome.APPLIED not in outcomes:
            break  # nothing changed (a newer version raced in): never spin; core's deletes follow
    with uow:
        uow.publish(SearchUserErased(user_id=user_id, erased_at=now))
        uow.commit()
    return removed
