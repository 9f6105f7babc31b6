"""Products, orders, order lines and the outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")


def _standard_columns() -> list[sa.Column]:
    # keel_common.db.standard_table's columns, spelled out: a migration must not change
    # when that helper does.
    return [
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "products",
        *_standard_columns(),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("stock", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("price_cents > 0", name="ck_products_price_positive"),
        sa.CheckConstraint("stock >= 0", name="ck_products_stock_not_negative"),
    )
    for name, columns in {
        "ix_products_newest": ["created_at", "id"],
        "ix_products_owner_newest": ["owner_id", "created_at", "id"],
        "ix_products_category_newest": ["category", "created_at", "id"],
    }.items():
        op.create_index(name, "products", columns, postgresql_where=_LIVE, sqlite_where=_LIVE)

    op.create_table(
        "orders",
        *_standard_columns(),
        sa.Column("buyer_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.UniqueConstraint("buyer_id", "idempotency_key", name="uq_orders_buyer_idempotency_key"),
    )
    op.create_index("ix_orders_buyer_newest", "orders", ["buyer_id", "created_at", "id"])

    op.create_table(
        "order_lines",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "order_pk",
            sa.Integer,
            sa.ForeignKey("orders.pk", ondelete="CASCADE", name="fk_order_lines_order"),
            nullable=False,
        ),
        sa.Column(
            "product_id",
            sa.Uuid,
            sa.ForeignKey("products.id", name="fk_order_lines_product"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_order_lines_order_pk", "order_lines", ["order_pk"])

    # keel_common.outbox.outbox_table, spelled out for the same reason as above.
    op.create_table(
        "outbox",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    unpublished = sa.text("published_at IS NULL")
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["pk"],
        postgresql_where=unpublished,
        sqlite_where=unpublished,
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("order_lines")
    op.drop_table("orders")
    op.drop_table("products")
