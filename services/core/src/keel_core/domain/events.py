"""Domain events (past tense). Each is published through the outbox at commit.

The fields of an event are its envelope ``data``. Product events carry the whole product
with its ``version``, so a consumer can drop an event older than what it already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, Self

from keel_core.domain.orders import OrderSnapshot
from keel_core.domain.products import ProductSnapshot


@dataclass(frozen=True)
class ProductEvent(ProductSnapshot):
    type: ClassVar[str]

    @classmethod
    def of(cls, product: ProductSnapshot) -> Self:
        return cls(**{f.name: getattr(product, f.name) for f in fields(ProductSnapshot)})


@dataclass(frozen=True)
class ProductCreated(ProductEvent):
    type: ClassVar[str] = "core.product.created.v1"


@dataclass(frozen=True)
class ProductUpdated(ProductEvent):
    type: ClassVar[str] = "core.product.updated.v1"


@dataclass(frozen=True)
class ProductDeleted(ProductEvent):
    type: ClassVar[str] = "core.product.deleted.v1"


@dataclass(frozen=True)
class OrderEvent(OrderSnapshot):
    type: ClassVar[str]

    @classmethod
    def of(cls, order: OrderSnapshot) -> Self:
        return cls(**{f.name: getattr(order, f.name) for f in fields(OrderSnapshot)})


@dataclass(frozen=True)
class OrderPlaced(OrderEvent):
    type: ClassVar[str] = "core.order.placed.v1"


@dataclass(frozen=True)
class OrderCancelled(OrderEvent):
    type: ClassVar[str] = "core.order.cancelled.v1"
