"""Core's part of an account erasure (issue #14).

The user's products are unlisted (soft-deleted, announced like any deletion, so search and
the caches drop them). Their orders stay, for accounting (see the README's retention
statement), but no longer name them: the buyer becomes a random pseudonym, the same on all
of that user's orders so the books still add up per customer, and linked to nobody.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from keel_common.clock import Clock, utcnow
from keel_core.domain.events import ProductDeleted, product_event
from keel_core.service_layer.ports import UnitOfWork
from keel_events.privacy import CoreUserErased

_BATCH = 200


def erase_user(uow: UnitOfWork, user_id: UUID, clock: Clock = utcnow) -> tuple[int, int]:
    """Unlist the products and pseudonymize the orders of ``user_id``; report it done.
    Safe to run twice: the second run finds nothing left and reports again (auth keeps the
    first report). The counts of products unlisted and orders pseudonymized."""
    now = clock()
    pseudonym = uuid4()
    unlisted = pseudonymized = 0
    with uow:
        while ids := [p.id for p in uow.products.list(limit=_BATCH, owner_id=user_id)]:
            for product in uow.products.get_for_update(ids):
                product.delete(now)
                uow.publish(product_event(ProductDeleted, product.snapshot()))
                unlisted += 1
        while orders := uow.orders.list_for_buyer(user_id, limit=_BATCH):
            for order in orders:
                order.buyer_id = pseudonym
                pseudonymized += 1
        uow.publish(CoreUserErased(user_id=user_id, erased_at=now))
        uow.commit()
    return unlisted, pseudonymized
