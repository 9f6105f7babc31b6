"""In-memory implementations of every port, for unit tests and quick experiments.

``FakeUnitOfWork`` behaves like a transaction: each ``with`` block works on a copy of the
committed state, so work that is not committed leaves no trace, as in the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from keel_common.pagination import Position
from keel_core.domain.app_versions import Platform, VersionPolicy
from keel_core.domain.audit import AuditEntry
from keel_core.domain.images import ImageStatus, ProductImage
from keel_core.domain.orders import Order, OrderLine, OrderStatus
from keel_core.domain.products import Product
from keel_core.service_layer.image_ports import ImageRepository
from keel_core.service_layer.ports import (
    AppVersionStore,
    AuditLog,
    DuplicateOrder,
    OrderRepository,
    ProductRepository,
    PurchaseTotal,
    UnitOfWork,
    UserDirectory,
    UserSummary,
    VersionPolicies,
)
from keel_events import Event
from keel_events.core import ProductEvent


def _copy_product(product: Product) -> Product:
    fields = {k: v for k, v in vars(product.snapshot()).items() if k != "images"}
    copy = Product(**fields)
    copy.images = [_copy_image(image) for image in product.images]
    return copy


def _copy_image(image: ProductImage) -> ProductImage:
    return ProductImage(**{k: v for k, v in vars(image).items() if not k.startswith("_")})


def _copy_order(order: Order) -> Order:
    lines = [
        OrderLine(
            product_id=line.product_id,
            title=line.title,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
        )
        for line in order.lines
    ]
    fields = {k: v for k, v in vars(order).items() if not k.startswith("_") and k != "lines"}
    return Order(lines=lines, **fields)


def _copy_products(rows: dict[UUID, Product]) -> dict[UUID, Product]:
    return {key: _copy_product(product) for key, product in rows.items()}


def _copy_orders(rows: dict[UUID, Order]) -> dict[UUID, Order]:
    return {key: _copy_order(order) for key, order in rows.items()}


def _newest_first(rows: Iterable[Any], after: Position | None, limit: int) -> list[Any]:
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    if after is not None:
        ordered = [r for r in ordered if (r.created_at, r.id) < (after.created_at, after.id)]
    return ordered[:limit]


class FakeProductRepository(ProductRepository):
    def __init__(self, products: dict[UUID, Product]) -> None:
        self.rows = products

    def add(self, product: Product) -> None:
        self.rows[product.id] = product

    def get(self, product_id: UUID) -> Product | None:
        product = self.rows.get(product_id)
        return None if product is None or product.is_deleted else product

    def count_for_owner(self, owner_id: UUID) -> int:
        return sum(p.owner_id == owner_id and not p.is_deleted for p in self.rows.values())

    def get_for_update(self, product_ids: Collection[UUID]) -> list[Product]:
        found = (self.get(pid) for pid in sorted(set(product_ids)))
        return [p for p in found if p is not None]

    def owned_for_erasure(
        self, owner_id: UUID, *, limit: int, after: Position | None = None
    ) -> list[Product]:
        mine = [p for p in self.rows.values() if p.owner_id == owner_id]
        return _newest_first(mine, after, limit)

    def list(
        self,
        *,
        limit: int,
        after: Position | None = None,
        owner_id: UUID | None = None,
        category: str | None = None,
        title: str | None = None,
        listed_only: bool = False,
    ) -> list[Product]:
        live = [
            p
            for p in self.rows.values()
            if not p.is_deleted
            and (p.listed or not listed_only)
            and (owner_id is None or p.owner_id == owner_id)
            and (category is None or p.category == category)
            and (not title or title.lower() in p.title.lower())
        ]
        return _newest_first(live, after, limit)


class FakeOrderRepository(OrderRepository):
    """Orders; ``products`` (the same unit of work's) gives purchase totals their titles."""

    def __init__(
        self, orders: dict[UUID, Order], products: dict[UUID, Product] | None = None
    ) -> None:
        self.rows = orders
        self.products = products if products is not None else {}

    def add(self, order: Order) -> None:
        self.rows[order.id] = order

    def get(self, order_id: UUID) -> Order | None:
        return self.rows.get(order_id)

    def get_for_update(self, order_id: UUID) -> Order | None:
        return self.get(order_id)

    def count_placed_since(self, buyer_id: UUID, since: datetime) -> int:
        return sum(o.buyer_id == buyer_id and o.created_at >= since for o in self.rows.values())

    def get_by_idempotency_key(self, buyer_id: UUID, key: str) -> Order | None:
        return next(
            (o for o in self.rows.values() if (o.buyer_id, o.idempotency_key) == (buyer_id, key)),
            None,
        )

    def list_for_buyer(
        self, buyer_id: UUID, *, limit: int, after: Position | None = None
    ) -> list[Order]:
        mine = [o for o in self.rows.values() if o.buyer_id == buyer_id]
        return _newest_first(mine, after, limit)

    def erase_line_titles(self, product_ids: Collection[UUID], title: str) -> None:
        for order in self.rows.values():
            for line in order.lines:
                if line.product_id in product_ids:
                    line.title = title

    def list_all(self, *, limit: int, after: Position | None = None) -> list[Order]:
        return _newest_first(self.rows.values(), after, limit)

    def placed_since(self, since: datetime) -> list[tuple[str, int, int]]:
        sums: dict[str, tuple[int, int]] = {}
        for o in self.rows.values():
            if o.created_at >= since and o.status != OrderStatus.CANCELLED:
                count, total = sums.get(o.currency, (0, 0))
                sums[o.currency] = (count + 1, total + o.total_cents)
        return [(c, n, t) for c, (n, t) in sorted(sums.items())]

    def purchase_totals(self, buyer_ids: Collection[UUID], since: datetime) -> list[PurchaseTotal]:
        totals: dict[tuple[UUID, UUID], PurchaseTotal] = {}
        for order in self.rows.values():
            counted = order.status != OrderStatus.CANCELLED and order.deleted_at is None
            if not counted or order.buyer_id not in buyer_ids or order.created_at < since:
                continue
            for line in order.lines:
                product = self.products.get(line.product_id)
                if product is None or product.is_deleted:
                    continue
                key = (order.buyer_id, line.product_id)
                before = totals.get(key)
                totals[key] = PurchaseTotal(
                    order.buyer_id,
                    line.product_id,
                    product.title,
                    line.quantity + (before.quantity if before else 0),
                    max(order.created_at, before.last_purchased_at if before else order.created_at),
                )
        return list(totals.values())


class FakeAuditLog(AuditLog):
    def __init__(self, entries: list[AuditEntry]) -> None:
        self.entries = entries

    def add(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def for_target(self, target_type: str, target_id: str) -> list[AuditEntry]:
        return [e for e in self.entries if (e.target_type, e.target_id) == (target_type, target_id)]

    def newest(
        self, *, actor_id: UUID | None, target_id: str | None, limit: int, after: Position | None
    ) -> list[AuditEntry]:
        found = sorted(self.entries, key=lambda e: (e.occurred_at, e.id.hex), reverse=True)
        found = [
            e for e in found if actor_id in (None, e.actor_id) and target_id in (None, e.target_id)
        ]
        if after is not None:
            found = [
                e for e in found if (e.occurred_at, e.id.hex) < (after.created_at, after.id.hex)
            ]
        return found[:limit]


class FakeAppVersionStore(AppVersionStore):
    def __init__(self, rows: dict[Platform, VersionPolicy]) -> None:
        self.rows = rows

    def all(self) -> dict[Platform, VersionPolicy]:
        return dict(self.rows)

    def put(self, platform: Platform, policy: VersionPolicy, actor_id: UUID) -> None:
        self.rows[platform] = policy


class FakeImageRepository(ImageRepository):
    def __init__(self, products: dict[UUID, Product]) -> None:
        self.products = products

    def abandoned(self, created_before: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        pending = [
            image
            for product in self.products.values()
            for image in product.images
            if image.status == ImageStatus.PENDING and image.created_at < created_before
        ]
        pending.sort(key=lambda image: image.created_at)
        return [(image.product_id, image.id) for image in pending[:limit]]


def _mentions(event: Event, needles: set[str]) -> bool:
    payload = event.model_dump_json()
    return any(n in payload for n in needles)


class FakeUnitOfWork(UnitOfWork):
    """Committed state in ``committed_products``/``committed_orders``; events in ``events``."""

    products: FakeProductRepository
    orders: FakeOrderRepository
    audit: FakeAuditLog
    app_versions: FakeAppVersionStore
    images: FakeImageRepository

    def __init__(self) -> None:
        self.committed_products: dict[UUID, Product] = {}
        self.committed_orders: dict[UUID, Order] = {}
        self.committed_audit: list[AuditEntry] = []
        self.committed_thresholds: dict[Platform, VersionPolicy] = {}
        self.events: list[Event] = []
        self.commits = 0
        self._pending: list[Event] = []
        self._forget = set[str]()

    def __enter__(self) -> FakeUnitOfWork:
        self._begin()
        return self

    def _begin(self) -> None:
        # The block works on copies: nothing it changes is visible until commit.
        self.products = FakeProductRepository(_copy_products(self.committed_products))
        self.orders = FakeOrderRepository(_copy_orders(self.committed_orders), self.products.rows)
        self.audit = FakeAuditLog(list(self.committed_audit))
        self.app_versions = FakeAppVersionStore(dict(self.committed_thresholds))
        self.images = FakeImageRepository(self.products.rows)
        self._pending = []
        self._forget = set()

    def publish(self, event: Event) -> None:
        self._pending.append(event)

    def forget_published_events(self, mentioning: Collection[str]) -> None:
        self._forget |= set(mentioning)

    def commit(self) -> None:
        self._check_unique_keys()
        self.committed_products = _copy_products(self.products.rows)
        self.committed_orders = _copy_orders(self.orders.rows)
        self.committed_audit = list(self.audit.entries)
        self.committed_thresholds = dict(self.app_versions.rows)
        if self._forget:  # the published ones only: ``_pending`` is added after
            self.events = [e for e in self.events if not _mentions(e, self._forget)]
        self.events.extend(self._pending)
        self._forget = set()
        changed = {UUID(e.subject) for e in self._pending if isinstance(e, ProductEvent)}
        self._pending = []
        self.commits += 1
        if changed:
            self.product_cache.invalidate(changed)

    def rollback(self) -> None:
        # Like the database: uncommitted changes and events are gone, even within the block.
        self._begin()

    def _check_unique_keys(self) -> None:
        # The database's unique (buyer_id, idempotency_key) constraint.
        for order in self.orders.rows.values():
            if order.id in self.committed_orders:
                continue
            key = (order.buyer_id, order.idempotency_key)
            if any((o.buyer_id, o.idempotency_key) == key for o in self.committed_orders.values()):
                raise DuplicateOrder()


class FakeUserDirectory(UserDirectory):
    """Known users; ``calls`` records every batch asked for."""

    def __init__(self, users: Iterable[UserSummary] = ()) -> None:
        self.users = {u.id: u for u in users}
        self.calls: list[set[UUID]] = []

    def get_users(self, user_ids: Collection[UUID]) -> dict[UUID, UserSummary]:
        self.calls.append(set(user_ids))
        return {uid: self.users[uid] for uid in user_ids if uid in self.users}


class FakeVersionPolicies(VersionPolicies):
    def __init__(self, policies: dict[Platform, VersionPolicy]) -> None:
        self.policies = policies
        self.forgotten = 0

    def forget(self) -> None:
        self.forgotten += 1

    def for_platform(self, platform: Platform) -> VersionPolicy:
        return self.policies[platform]
