"""The ``product_images`` table and its mapping: a product's images, loaded with it.

A separate module so the product tables stay readable; ``orm.start_mappers`` maps both.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry, relationship

from keel_common.db import map_entity, standard_table
from keel_core.domain.images import MAX_REASON, ProductImage


def product_images_table(metadata: sa.MetaData) -> sa.Table:
    return standard_table(
        "product_images",
        metadata,
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
        sa.Column("failure_reason", sa.String(MAX_REASON)),
        sa.Index("ix_product_images_product", "product_id", "position"),
        # The sweep of abandoned uploads reads pending images by age.
        sa.Index("ix_product_images_status_created", "status", "created_at"),
    )


def map_images(mapper_registry: registry, table: sa.Table) -> Any:
    """Map ``ProductImage`` onto ``table`` and return the ``Product.images`` relationship."""
    map_entity(mapper_registry, ProductImage, table)
    return relationship(
        ProductImage,
        order_by=table.c.position,
        lazy="selectin",
        cascade="all, delete-orphan",
    )
