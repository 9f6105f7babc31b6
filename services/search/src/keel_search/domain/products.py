"""What the index holds about a product, and the one rule for applying a change to it.

Core's product events carry the whole product with a ``version`` that grows with every
change. The index keeps, per product id, the highest version it has seen, including for
deleted products (a tombstone), so the state it converges to does not depend on the order in
which events arrive or on how often one is delivered: the change with the highest version
wins, everything else is stale.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class ProductDocument:
    """A live product as the index stores it: the searchable and displayed fields."""

    id: UUID
    title: str
    description: str
    category: str
    price_cents: int
    currency: str
    owner_id: UUID
    created_at: datetime
    updated_at: datetime
    version: int
    #: The product's first image, small (absent when it has none ready).
    thumbnail_url: str | None = None


@dataclass(frozen=True)
class ProductTombstone:
    """A deleted product: no longer searchable, its version kept so older events stay stale."""

    id: UUID
    version: int
    deleted_at: datetime


ProductChange = ProductDocument | ProductTombstone


class ApplyOutcome(enum.StrEnum):
    """What applying one change did; the consumer reports it as a metric outcome."""

    APPLIED = "applied"
    STALE = "stale"  # not newer than what the index holds: an old or a redelivered event


def supersedes(change: ProductChange, indexed_version: int | None) -> bool:
    """True when ``change`` should replace what the index holds for the same product.

    Equal versions are the same change delivered twice, so only a strictly higher version
    wins; ``None`` means the index has never seen the product.
    """
    return indexed_version is None or change.version > indexed_version
