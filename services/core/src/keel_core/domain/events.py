"""The events core publishes: the ``keel_events.core`` contracts, built from snapshots.

The contracts (type, version, fields) live in ``keel_events`` so consumers parse exactly what
core serializes; this module only knows how a snapshot becomes one. Product events carry the
whole product with its ``version``, so a consumer can drop an event older than what it holds;
order events carry the whole order with its lines.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TypeVar

from keel_core.domain.orders import OrderSnapshot
from keel_core.domain.products import ProductSnapshot
from keel_events.core import (
    OrderCancelled,
    OrderEvent,
    OrderLine,
    OrderPlaced,
    ProductCreated,
    ProductDeleted,
    ProductEvent,
    ProductUpdated,
)

AnyProductEvent = TypeVar("AnyProductEvent", bound=ProductEvent)
AnyOrderEvent = TypeVar("AnyOrderEvent", bound=OrderEvent)


def product_event(kind: type[AnyProductEvent], product: ProductSnapshot) -> AnyProductEvent:
    """``kind`` (``ProductCreated``, ...) announcing ``product`` at its current version."""
    return kind.model_validate(asdict(product) | {"thumbnail_url": product.thumbnail_url})


def order_event(kind: type[AnyOrderEvent], order: OrderSnapshot) -> AnyOrderEvent:
    """``kind`` (``OrderPlaced``, ``OrderCancelled``) announcing ``order`` with its lines."""
    return kind.model_validate(asdict(order))


__all__ = [
    "OrderCancelled",
    "OrderLine",
    "OrderPlaced",
    "ProductCreated",
    "ProductDeleted",
    "ProductUpdated",
    "order_event",
    "product_event",
]
