"""Product images (issue #18).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_images",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "product_id",
            sa.Uuid,
            sa.ForeignKey("products.id", name="fk_product_images_product"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("image_key", sa.String(255)),
        sa.Column("thumbnail_key", sa.String(255)),
        sa.Column("url", sa.String(1024)),
        sa.Column("thumbnail_url", sa.String(1024)),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("failure_reason", sa.String(200)),
    )
    op.create_index("ix_product_images_product", "product_images", ["product_id", "position"])
    op.create_index("ix_product_images_status_created", "product_images", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("product_images")
