"""Back-office order use cases: find, read, cancel with a reason, today's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from uuid import UUID

from keel_common.clock import Clock, utcnow
from keel_common.pagination import Page, Position, page_of
from keel_core.domain.actors import Actor
from keel_core.domain.audit import AdminAction, AuditEntry, check_reason
from keel_core.domain.errors import OrderNotFound
from keel_core.domain.orders import OrderSnapshot
from keel_core.service_layer.admin import record, require_staff
from keel_core.service_layer.orders import cancel_and_restock
from keel_core.service_layer.pagination import DEFAULT_LIMIT, check_limit, position_after
from keel_core.service_layer.ports import UnitOfWork


def find_orders(
    uow: UnitOfWork,
    actor: Actor,
    *,
    order_id: UUID | None = None,
    buyer_id: UUID | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[OrderSnapshot]:
    """One order by id, a buyer's orders, or every order; newest first."""
    require_staff(actor)
    check_limit(limit)
    after = position_after(cursor)
    with uow:
        if order_id is not None:
            found = uow.orders.get(order_id)
            rows = [found] if found and (buyer_id is None or found.buyer_id == buyer_id) else []
        elif buyer_id is not None:
            rows = uow.orders.list_for_buyer(buyer_id, limit=limit + 1, after=after)
        else:
            rows = uow.orders.list_all(limit=limit + 1, after=after)
        snapshots = [o.snapshot() for o in rows]
    return page_of(snapshots, limit, lambda o: Position(o.created_at, o.id))


@dataclass(frozen=True)
class OrderRecord:
    """An order with what the back-office did to it."""

    order: OrderSnapshot
    audit: list[AuditEntry]


def order_record(uow: UnitOfWork, actor: Actor, order_id: UUID) -> OrderRecord:
    require_staff(actor)
    with uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise OrderNotFound()
        return OrderRecord(order.snapshot(), uow.audit.for_target("order", str(order_id)))


def cancel_order(
    uow: UnitOfWork, actor: Actor, order_id: UUID, reason: str, clock: Clock = utcnow
) -> OrderSnapshot:
    """Cancel any placed order: stock goes back on sale and the buyer is told (by the
    ``core.order.cancelled.v1`` event, as when they cancel themselves)."""
    require_staff(actor)
    reason = check_reason(reason)
    with uow:
        order = uow.orders.get_for_update(order_id)
        if order is None:
            raise OrderNotFound()
        now = clock()
        snapshot = cancel_and_restock(uow, order, now)
        target = ("order", str(order_id))
        record(uow, actor, AdminAction.ORDER_CANCELLED, target, reason, now)
        uow.commit()
    return snapshot


@dataclass(frozen=True)
class Takings:
    currency: str
    orders: int
    revenue_cents: int


def orders_today(uow: UnitOfWork, actor: Actor, clock: Clock = utcnow) -> list[Takings]:
    """Orders placed since midnight UTC (cancelled ones left out) and their revenue."""
    require_staff(actor)
    now = clock()
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    with uow:
        return [Takings(c, n, cents) for c, n, cents in uow.orders.placed_since(midnight)]
