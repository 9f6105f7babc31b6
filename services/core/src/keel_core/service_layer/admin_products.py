"""Back-office product use cases: find by id, owner or title; edit with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from keel_common.clock import Clock, utcnow
from keel_common.pagination import Page, Position, page_of
from keel_core.domain.actors import Actor
from keel_core.domain.audit import AdminAction, check_reason
from keel_core.domain.errors import ProductNotFound
from keel_core.domain.events import ProductUpdated, product_event
from keel_core.domain.products import ProductSnapshot
from keel_core.service_layer.admin import record, require_staff
from keel_core.service_layer.pagination import DEFAULT_LIMIT, check_limit, position_after
from keel_core.service_layer.ports import UnitOfWork


def find_products(
    uow: UnitOfWork,
    actor: Actor,
    *,
    product_id: UUID | None = None,
    owner_id: UUID | None = None,
    title: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[ProductSnapshot]:
    """One product by id, or products by owner and/or title words; newest first."""
    require_staff(actor)
    check_limit(limit)
    after = position_after(cursor)
    with uow:
        if product_id is not None:
            found = uow.products.get(product_id)
            rows = [found] if found is not None else []
        else:
            rows = uow.products.list(limit=limit + 1, after=after, owner_id=owner_id, title=title)
        snapshots = [p.snapshot() for p in rows]
    return page_of(snapshots, limit, lambda p: Position(p.created_at, p.id))


def edit_product(
    uow: UnitOfWork,
    actor: Actor,
    product_id: UUID,
    changes: Mapping[str, Any],
    reason: str,
    clock: Clock = utcnow,
) -> ProductSnapshot:
    """Change any field of any product (the owner's rules still hold), audited."""
    require_staff(actor)
    reason = check_reason(reason)
    with uow:
        found = uow.products.get_for_update([product_id])
        if not found:
            raise ProductNotFound()
        product, now = found[0], clock()
        before = {name: getattr(product, name) for name in changes}
        changed = product.revise(changes, None, now)
        snapshot = product.snapshot()
        if changed:
            uow.publish(product_event(ProductUpdated, snapshot))
            after = {name: getattr(snapshot, name) for name in changes}
            diff = {k: [before[k], after[k]] for k in changes if before[k] != after[k]}
            target = ("product", str(product_id))
            record(uow, actor, AdminAction.PRODUCT_EDITED, target, reason, now, changes=diff)
            uow.commit()
    return snapshot
