"""Core's product events, translated into index changes (the one place that knows their
wire format: ``keel_core.domain.events``, the whole product with its ``version``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from keel_search.domain.commands import ApplyProductChange
from keel_search.domain.products import ProductChange, ProductDocument, ProductTombstone

PRODUCT_CREATED = "core.product.created.v1"
PRODUCT_UPDATED = "core.product.updated.v1"
PRODUCT_DELETED = "core.product.deleted.v1"
PRODUCT_EVENTS = (PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_DELETED)


class UnreadableEvent(ValueError):
    """The event cannot be applied, however often it is retried: it goes to dead letters."""


def command_from_event(
    event_type: str, data: Mapping[str, Any], occurred_at: datetime
) -> ApplyProductChange:
    try:
        change = _change(event_type, data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnreadableEvent(f"{event_type}: {type(exc).__name__} {exc}") from None
    return ApplyProductChange(change, occurred_at)


def _change(event_type: str, data: Mapping[str, Any]) -> ProductChange:
    if event_type not in PRODUCT_EVENTS:
        raise ValueError("not a product event")
    version = _integer(data["version"])
    if event_type == PRODUCT_DELETED or data.get("deleted_at"):
        deleted_at = data.get("deleted_at") or data["updated_at"]
        return ProductTombstone(UUID(data["id"]), version, datetime.fromisoformat(deleted_at))
    return ProductDocument(
        id=UUID(data["id"]),
        title=str(data["title"]),
        description=str(data.get("description") or ""),
        category=str(data["category"]),
        price_cents=_integer(data["price_cents"]),
        currency=str(data["currency"]),
        owner_id=UUID(data["owner_id"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        version=version,
    )


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value
