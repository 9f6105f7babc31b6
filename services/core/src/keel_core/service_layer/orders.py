"""Order use cases: place (idempotently, all-or-nothing), read, list, cancel."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from keel_common.clock import Clock, utcnow
from keel_common.pagination import Page, Position, page_of
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CancelOrder, PlaceOrder
from keel_core.domain.errors import (
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    InvalidInput,
    OrderNotFound,
    QuotaExceeded,
)
from keel_core.domain.events import (
    OrderCancelled,
    OrderPlaced,
    ProductUpdated,
    order_event,
    product_event,
)
from keel_core.domain.orders import (
    Order,
    OrderSnapshot,
    check_idempotency_key,
    check_requested_items,
    request_fingerprint,
)
from keel_core.service_layer.pagination import DEFAULT_LIMIT, check_limit, position_after
from keel_core.service_layer.ports import (
    DuplicateOrder,
    UnitOfWork,
    UserDirectory,
    UserSummary,
)

# The default per-account quota (``CoreSettings.orders_per_buyer_per_day`` says why).
MAX_ORDERS_PER_DAY = 200
ORDER_WINDOW = timedelta(days=1)


def place_order(
    uow: UnitOfWork,
    actor: Actor,
    command: PlaceOrder,
    clock: Clock = utcnow,
    *,
    daily_quota: int = MAX_ORDERS_PER_DAY,
) -> OrderSnapshot:
    """Place an order, or return the one this Idempotency-Key already placed; at most
    ``daily_quota`` orders per account in 24 hours."""
    check_idempotency_key(command.idempotency_key)
    check_requested_items(command.items)
    fingerprint = request_fingerprint(command.items)
    try:
        return _place(uow, actor, command, fingerprint, clock, daily_quota)
    except DuplicateOrder:
        # A concurrent request with the same key committed first; our transaction rolled
        # back (no stock taken), so answer with the order that won.
        with uow:
            existing = uow.orders.get_by_idempotency_key(actor.user_id, command.idempotency_key)
            if existing is None:
                raise
            return _replayed(existing, fingerprint)


def _place(
    uow: UnitOfWork,
    actor: Actor,
    command: PlaceOrder,
    fingerprint: str,
    clock: Clock,
    daily_quota: int,
) -> OrderSnapshot:
    with uow:
        locked = uow.products.get_for_update([item.product_id for item in command.items])
        # Looked up after the locks: a concurrent request with this key that held them has
        # committed by now, and its order must be answered, not a "no stock left".
        existing = uow.orders.get_by_idempotency_key(actor.user_id, command.idempotency_key)
        if existing is not None:
            return _replayed(existing, fingerprint)
        now = clock()
        if uow.orders.count_placed_since(actor.user_id, now - ORDER_WINDOW) >= daily_quota:
            raise QuotaExceeded(f"one account may place at most {daily_quota} orders a day")
        found = {product.id: product for product in locked}
        # An unlisted product (taken off sale by the back-office) cannot be bought either.
        unknown = [
            FieldError(f"items.{n}.product_id", "no such product")
            if item.product_id not in found
            else FieldError(f"items.{n}.product_id", "this product is not for sale")
            for n, item in enumerate(command.items)
            if item.product_id not in found or not found[item.product_id].listed
        ]
        if unknown:
            raise InvalidInput.of(unknown)
        wanted = [(found[item.product_id], item.quantity) for item in command.items]
        order = Order.place(
            actor.user_id,
            wanted,
            idempotency_key=command.idempotency_key,
            fingerprint=fingerprint,
            now=now,
        )
        uow.orders.add(order)
        for product, _ in wanted:
            uow.publish(product_event(ProductUpdated, product.snapshot()))
        snapshot = order.snapshot()
        uow.publish(order_event(OrderPlaced, snapshot))
        uow.commit()
    return snapshot


def _replayed(order: Order, fingerprint: str) -> OrderSnapshot:
    if order.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return order.snapshot()


def get_order(uow: UnitOfWork, actor: Actor, order_id: UUID) -> OrderSnapshot:
    """The order for its buyer or an admin; anyone else cannot tell it exists."""
    with uow:
        order = uow.orders.get(order_id)
        if order is None or not order.is_visible_to(actor):
            raise OrderNotFound()
        return order.snapshot()


def list_orders(
    uow: UnitOfWork, actor: Actor, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> Page[OrderSnapshot]:
    check_limit(limit)
    after = position_after(cursor)
    with uow:
        rows = uow.orders.list_for_buyer(actor.user_id, limit=limit + 1, after=after)
        snapshots = [o.snapshot() for o in rows]
    return page_of(snapshots, limit, lambda o: Position(o.created_at, o.id))


def cancel_order(
    uow: UnitOfWork, actor: Actor, command: CancelOrder, clock: Clock = utcnow
) -> OrderSnapshot:
    """Cancel a placed order and put its stock back on sale."""
    with uow:
        order = uow.orders.get_for_update(command.order_id)
        if order is None or not order.is_visible_to(actor):
            raise OrderNotFound()
        if order.buyer_id != actor.user_id:
            raise Forbidden("only the buyer can cancel an order")
        snapshot = cancel_and_restock(uow, order, clock())
        uow.commit()
    return snapshot


def cancel_and_restock(uow: UnitOfWork, order: Order, now: datetime) -> OrderSnapshot:
    """Cancel a locked order, return its stock and announce both (the caller commits)."""
    order.cancel(now)
    products = uow.products.get_for_update([line.product_id for line in order.lines])
    returned = {line.product_id: line.quantity for line in order.lines}
    # A deleted product is not returned by the repository and gets no stock back: it can
    # no longer be sold, and an update event would resurrect it in consumers.
    for product in products:
        product.return_stock(returned[product.id], now)
        uow.publish(product_event(ProductUpdated, product.snapshot()))
    snapshot = order.snapshot()
    uow.publish(order_event(OrderCancelled, snapshot))
    return snapshot


@dataclass(frozen=True)
class OrderWithBuyer:
    order: OrderSnapshot
    buyer: UserSummary | None


def describe_orders(
    uow: UnitOfWork, users: UserDirectory, order_ids: Collection[UUID]
) -> list[OrderWithBuyer]:
    """Orders with their buyers' names and emails: one ``GetUsers`` call for all of them.

    For internal callers (gRPC); unknown ids are left out.
    """
    with uow:
        orders = [o.snapshot() for oid in order_ids if (o := uow.orders.get(oid)) is not None]
    buyers = users.get_users({o.buyer_id for o in orders}) if orders else {}
    return [OrderWithBuyer(o, buyers.get(o.buyer_id)) for o in orders]


def describe_order(uow: UnitOfWork, users: UserDirectory, order_id: UUID) -> OrderWithBuyer:
    found = describe_orders(uow, users, [order_id])
    if not found:
        raise OrderNotFound()
    return found[0]
