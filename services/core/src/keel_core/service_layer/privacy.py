"""Core's part of an account erasure (issue #14).

The user's products are erased: everything they wrote (title, description, category, the
images and their stored files, a moderator's note about them) is gone, live ones are
soft-deleted and announced like any deletion (so search and the caches drop them), and the
rows stay with what accounting needs (ids, prices, stock), because orders point at them.
The titles other buyers' order lines copied from those products go too. The user's own
orders stay, for accounting (see the README's retention statement), but no longer name
them: the buyer becomes a random pseudonym, the same on all of that user's orders so the
books still add up per customer, and linked to nobody; their Idempotency-Keys go as well.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from keel_common.clock import Clock, utcnow
from keel_common.pagination import Position
from keel_core.domain.events import ProductDeleted, product_event
from keel_core.domain.products import ERASED_TITLE
from keel_core.service_layer.image_ports import ObjectStore
from keel_core.service_layer.ports import UnitOfWork
from keel_events.privacy import CoreUserErased

_BATCH = 200


def erase_user(
    uow: UnitOfWork, store: ObjectStore, user_id: UUID, clock: Clock = utcnow
) -> tuple[int, int]:
    """Erase the products and pseudonymize the orders of ``user_id``; report it done.
    Safe to run twice: the second run finds nothing left and reports again (auth keeps the
    first report). The counts of products erased and orders pseudonymized."""
    pseudonym = uuid4()
    pseudonymized = 0
    with uow:
        erased_ids, stored_keys = _erase_products(uow, user_id, clock)
        while orders := uow.orders.list_for_buyer(user_id, limit=_BATCH):
            for order in orders:
                order.pseudonymize(pseudonym)
                pseudonymized += 1
        # Their products' announcements and their orders' (buyer included) as published.
        uow.forget_published_events([str(user_id), *map(str, erased_ids)])
        uow.publish(CoreUserErased(user_id=user_id, erased_at=clock()))
        # Before the commit, unlike an image's deletion: if the commit fails, the redelivered
        # event finds the rows still naming the files and deletes again (a missing object is
        # no error); after it, a failure would leave files that no row names any more.
        for key in stored_keys:
            store.delete(key)
        uow.commit()
    return len(erased_ids), pseudonymized


def _erase_products(uow: UnitOfWork, user_id: UUID, clock: Clock) -> tuple[list[UUID], list[str]]:
    """Erase every product of ``user_id``, deleted ones included; the ids of those erased
    now and the object-store keys of the images they dropped."""
    erased: list[UUID] = []
    stored_keys: list[str] = []
    after = None
    while batch := uow.products.owned_for_erasure(user_id, limit=_BATCH, after=after):
        after = Position(batch[-1].created_at, batch[-1].id)
        changed = [p for p in batch if not p.is_erased]
        for product in changed:
            was_live = not product.is_deleted
            stored_keys += [k for image in product.erase(clock()) for k in image.stored_keys()]
            if was_live:
                uow.publish(product_event(ProductDeleted, product.snapshot()))
        if changed:
            uow.orders.erase_line_titles([p.id for p in changed], ERASED_TITLE)
        erased += [p.id for p in changed]
    return erased, stored_keys
