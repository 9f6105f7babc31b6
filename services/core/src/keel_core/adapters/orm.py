"""Tables of the core service and the imperative mapping of the domain classes onto them.

The domain classes stay plain Python; ``start_mappers()`` (called by the composition root,
never at import) teaches SQLAlchemy how to load and save them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import registry, relationship

from keel_common.db import map_entity, standard_table
from keel_common.outbox import outbox_table
from keel_core.adapters.image_tables import map_images, product_images_table
from keel_core.domain.images import ProductImage
from keel_core.domain.orders import Order, OrderLine
from keel_core.domain.products import MAX_CATEGORY, MAX_TITLE, Product

metadata = sa.MetaData()
mapper_registry = registry(metadata=metadata)

_LIVE = sa.text("deleted_at IS NULL")

products = standard_table(
    "products",
    metadata,
    sa.Column("owner_id", sa.Uuid, nullable=False),
    sa.Column("title", sa.String(MAX_TITLE), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("price_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("category", sa.String(MAX_CATEGORY), nullable=False),
    sa.Column("stock", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("listed", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("unlisted_reason", sa.String(500), nullable=True),
    sa.CheckConstraint("price_cents > 0", name="ck_products_price_positive"),
    sa.CheckConstraint("stock >= 0", name="ck_products_stock_not_negative"),
)
# Newest-first keyset pages, over live rows only (soft-deleted rows are never listed).
for _name, _columns in {
    "ix_products_newest": ("created_at", "id"),
    "ix_products_owner_newest": ("owner_id", "created_at", "id"),
    "ix_products_category_newest": ("category", "created_at", "id"),
}.items():
    sa.Index(
        _name,
        *(products.c[c] for c in _columns),
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )

orders = standard_table(
    "orders",
    metadata,
    sa.Column("buyer_id", sa.Uuid, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("request_fingerprint", sa.String(64), nullable=False),
    # Also what makes two concurrent requests with one key end in a single order.
    sa.UniqueConstraint("buyer_id", "idempotency_key", name="uq_orders_buyer_idempotency_key"),
    sa.Index("ix_orders_buyer_newest", "buyer_id", "created_at", "id"),
    sa.Index("ix_orders_newest", "created_at", "id"),
)

# The admin audit trail (auth's audit_log shape plus target and reason). No foreign keys: the
# trail must outlive what it talks about.
audit_log = standard_table(
    "audit_log",
    metadata,
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("actor_id", sa.Uuid, nullable=False),
    sa.Column("target_type", sa.String(32), nullable=False),
    sa.Column("target_id", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Index("ix_audit_log_target", "target_type", "target_id", "occurred_at"),
)

# App-version thresholds an admin set; a platform without a row uses the seed document.
app_version_thresholds = sa.Table(
    "app_version_thresholds",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("min_supported_version", sa.String(32), nullable=False),
    sa.Column("latest_version", sa.String(32), nullable=False),
    sa.Column("updated_by", sa.Uuid, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# A product's images (keel_core.adapters.image_tables).
product_images = product_images_table(metadata)

# Events staged with the state change that caused them (keel_common.outbox).
outbox = outbox_table(metadata)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "order_pk",
        sa.Integer,
        sa.ForeignKey("orders.pk", ondelete="CASCADE", name="fk_order_lines_order"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "product_id",
        sa.Uuid,
        sa.ForeignKey("products.id", name="fk_order_lines_product"),
        nullable=False,
    ),
    sa.Column("title", sa.String(MAX_TITLE), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
)


def start_mappers() -> None:
    """Map the domain classes (once per process; later calls do nothing)."""
    if mapper_registry.mappers:
        return
    mapper_registry.map_imperatively(OrderLine, order_lines, properties={"_pk": order_lines.c.pk})
    map_entity(
        mapper_registry, Product, products, images=map_images(mapper_registry, product_images)
    )
    map_entity(
        mapper_registry,
        Order,
        orders,
        lines=relationship(
            OrderLine, order_by=order_lines.c.pk, lazy="selectin", cascade="all, delete-orphan"
        ),
    )
    for cls in (Product, Order, ProductImage):
        event.listen(cls, "load", _utc_datetimes)
        event.listen(cls, "refresh", _utc_datetimes)


def _utc_datetimes(target: Any, *_: Any) -> None:
    # SQLite has no time zone type and hands back naive datetimes; every stored time is UTC.
    for name in ("created_at", "updated_at", "deleted_at"):
        value = target.__dict__.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            target.__dict__[name] = value.replace(tzinfo=UTC)
