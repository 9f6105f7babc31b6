"""Core's product events (``keel_events.core``), translated into index changes.

Every product event carries the whole product with its ``version``; a deleted product (the
deleted event, or any event with ``deleted_at`` set) becomes a tombstone that keeps its
version, so older events stay stale.
"""

from __future__ import annotations

from datetime import datetime

from keel_events.core import ProductDeleted, ProductEvent
from keel_search.domain.commands import ApplyProductChange
from keel_search.domain.products import ProductChange, ProductDocument, ProductTombstone


def command_from_event(event: ProductEvent, occurred_at: datetime) -> ApplyProductChange:
    return ApplyProductChange(change_from_event(event), occurred_at)


def change_from_event(event: ProductEvent) -> ProductChange:
    if isinstance(event, ProductDeleted) or event.deleted_at is not None:
        return ProductTombstone(event.id, event.version, event.deleted_at or event.updated_at)
    return ProductDocument(
        id=event.id,
        title=event.title,
        description=event.description,
        category=event.category,
        price_cents=event.price_cents,
        currency=event.currency,
        owner_id=event.owner_id,
        created_at=event.created_at,
        updated_at=event.updated_at,
        version=event.version,
        thumbnail_url=event.thumbnail_url,
    )
