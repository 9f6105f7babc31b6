"""Back-office unlist / relist: a product leaves the public listing and search, with a
reason its owner reads in their product, and comes back on relist; both audited."""

from __future__ import annotations

from uuid import UUID

from keel_common.clock import Clock, utcnow
from keel_core.domain.actors import Actor
from keel_core.domain.audit import AdminAction, check_reason
from keel_core.domain.errors import ProductNotFound
from keel_core.domain.events import ProductDeleted, ProductUpdated, product_event
from keel_core.domain.products import Product, ProductSnapshot
from keel_core.service_layer.admin import record, require_staff
from keel_core.service_layer.ports import UnitOfWork


def unlist_product(
    uow: UnitOfWork, actor: Actor, product_id: UUID, reason: str, clock: Clock = utcnow
) -> ProductSnapshot:
    """Take a product off the public listing (staff). Announced as a removal, the event
    search already turns into a tombstone, so it stops being found at once."""
    require_staff(actor)
    reason = check_reason(reason)
    with uow:
        product, now = _locked(uow, product_id), clock()
        if product.unlist(reason, now):
            uow.publish(product_event(ProductDeleted, product.snapshot()))
            record(uow, actor, AdminAction.PRODUCT_UNLISTED, ("product", str(product_id)),
                   reason, now)  # fmt: skip
            uow.commit()
        return product.snapshot()


def relist_product(
    uow: UnitOfWork, actor: Actor, product_id: UUID, reason: str, clock: Clock = utcnow
) -> ProductSnapshot:
    """Put an unlisted product back (staff): a newer version than the tombstone, so search
    indexes it again."""
    require_staff(actor)
    reason = check_reason(reason)
    with uow:
        product, now = _locked(uow, product_id), clock()
        if product.relist(now):
            uow.publish(product_event(ProductUpdated, product.snapshot()))
            record(uow, actor, AdminAction.PRODUCT_RELISTED, ("product", str(product_id)),
                   reason, now)  # fmt: skip
            uow.commit()
        return product.snapshot()


def _locked(uow: UnitOfWork, product_id: UUID) -> Product:
    found = uow.products.get_for_update([product_id])
    if not found or found[0].is_deleted:
        raise ProductNotFound()
    return found[0]
