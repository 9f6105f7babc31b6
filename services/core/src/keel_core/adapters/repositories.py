"""SQLAlchemy repositories: the ports of ``service_layer.ports`` over one ORM session.

Soft-deleted rows are left out by the session factory of ``keel_common.db``. A use case
that will change rows reads them with ``get_for_update``: ``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite has no row locks, so there it takes the database's write lock instead.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from keel_common.db import lock_for_write
from keel_common.pagination import Position
from keel_core.adapters.orm import order_lines, orders, products
from keel_core.domain.orders import Order, OrderStatus
from keel_core.domain.products import Product
from keel_core.service_layer.ports import (
    OrderRepository,
    ProductRepository,
    PurchaseTotal,
)


def _newest_first(statement: Any, table: sa.Table, after: Position | None, limit: int) -> Any:
    if after is not None:
        newer = sa.tuple_(table.c.created_at, table.c.id)
        statement = statement.where(newer < sa.tuple_(after.created_at, after.id))
    return statement.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)


class SqlAlchemyProductRepository(ProductRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, product: Product) -> None:
        self.session.add(product)

    def count_for_owner(self, owner_id: UUID) -> int:
        statement = (
            sa.select(sa.func.count())
            .select_from(products)
            .where(products.c.owner_id == owner_id, products.c.deleted_at.is_(None))
        )
        return int(self.session.scalar(statement) or 0)

    def get(self, product_id: UUID) -> Product | None:
        statement = sa.select(Product).where(products.c.id == product_id)
        return self.session.scalars(statement).one_or_none()

    def get_for_update(self, product_ids: Collection[UUID]) -> list[Product]:
        lock_for_write(self.session)
        statement = (
            sa.select(Product)
            .where(products.c.id.in_(set(product_ids)))
            .order_by(products.c.id)  # one lock order for everyone: no deadlocks
            .with_for_update()
        )
        return list(self.session.scalars(statement))

    def owned_for_erasure(
        self, owner_id: UUID, *, limit: int, after: Position | None = None
    ) -> list[Product]:
        lock_for_write(self.session)
        statement = (
            sa.select(Product)
            .where(products.c.owner_id == owner_id)
            .execution_options(include_deleted=True)
        )
        statement = _newest_first(statement, products, after, limit).with_for_update()
        return list(self.session.scalars(statement))

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
        statement = sa.select(Product)
        if title:
            # A back-office lookup: a scan bounded by the page size, not a search engine.
            escaped = title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(products.c.title.ilike(f"%{escaped}%", escape="\\"))
        if owner_id is not None:
            statement = statement.where(products.c.owner_id == owner_id)
        if category is not None:
            statement = statement.where(products.c.category == category)
        if listed_only:
            statement = statement.where(products.c.listed.is_(True))
        return list(self.session.scalars(_newest_first(statement, products, after, limit)))


class SqlAlchemyOrderRepository(OrderRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, order: Order) -> None:
        self.session.add(order)

    def count_placed_since(self, buyer_id: UUID, since: datetime) -> int:
        statement = (
            sa.select(sa.func.count())
            .select_from(orders)
            .where(orders.c.buyer_id == buyer_id, orders.c.created_at >= since)
        )
        return int(self.session.scalar(statement) or 0)

    def get(self, order_id: UUID) -> Order | None:
        statement = sa.select(Order).where(orders.c.id == order_id)
        return self.session.scalars(statement).one_or_none()

    def get_for_update(self, order_id: UUID) -> Order | None:
        lock_for_write(self.session)
        statement = sa.select(Order).where(orders.c.id == order_id).with_for_update()
        return self.session.scalars(statement).one_or_none()

    def get_by_idempotency_key(self, buyer_id: UUID, key: str) -> Order | None:
        statement = sa.select(Order).where(
            orders.c.buyer_id == buyer_id, orders.c.idempotency_key == key
        )
        return self.session.scalars(statement).one_or_none()

    def list_for_buyer(
        self, buyer_id: UUID, *, limit: int, after: Position | None = None
    ) -> list[Order]:
        statement = sa.select(Order).where(orders.c.buyer_id == buyer_id)
        return list(self.session.scalars(_newest_first(statement, orders, after, limit)))

    def erase_line_titles(self, product_ids: Collection[UUID], title: str) -> None:
        statement = (
            sa.update(order_lines)
            .where(order_lines.c.product_id.in_(set(product_ids)))
            .values(title=title)
        )
        self.session.execute(statement)

    def list_all(self, *, limit: int, after: Position | None = None) -> list[Order]:
        return list(self.session.scalars(_newest_first(sa.select(Order), orders, after, limit)))

    def placed_since(self, since: datetime) -> list[tuple[str, int, int]]:
        statement = (
            sa.select(orders.c.currency, sa.func.count(), sa.func.sum(orders.c.total_cents))
            .where(
                orders.c.created_at >= since,
                orders.c.status != OrderStatus.CANCELLED.value,
                orders.c.deleted_at.is_(None),
            )
            .group_by(orders.c.currency)
            .order_by(orders.c.currency)
        )
        return [(c, int(n), int(total or 0)) for c, n, total in self.session.execute(statement)]

    def purchase_totals(self, buyer_ids: Collection[UUID], since: datetime) -> list[PurchaseTotal]:
        # A Core select over the tables: the soft-delete filter of the session only covers ORM
        # entities, so deleted rows are excluded here by hand.
        statement = (
            sa.select(
                orders.c.buyer_id,
                order_lines.c.product_id,
                products.c.title,
                sa.func.sum(order_lines.c.quantity),
                sa.func.max(orders.c.created_at),
            )
            .select_from(
                orders.join(order_lines, order_lines.c.order_pk == orders.c.pk).join(
                    products, products.c.id == order_lines.c.product_id
                )
            )
            .where(
                orders.c.buyer_id.in_(set(buyer_ids)),
                orders.c.created_at >= since,
                orders.c.status != OrderStatus.CANCELLED.value,
                orders.c.deleted_at.is_(None),
                products.c.deleted_at.is_(None),
            )
            .group_by(orders.c.buyer_id, order_lines.c.product_id, products.c.title)
        )
        return [
            PurchaseTotal(buyer, product, title, int(quantity), last)
            for buyer, product, title, quantity, last in self.session.execute(statement)
        ]
