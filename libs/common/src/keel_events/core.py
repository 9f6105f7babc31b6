"""Events the core service publishes (``keel-core``).

Product events carry the whole product with its ``version``, so a consumer can drop an event
older than what it already holds; order events carry the whole order with its lines.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StrictInt

from keel_events.base import Event


class CoreEvent(Event):
    producer: ClassVar[str] = "core"


class ProductEvent(CoreEvent):
    """A product as it is at one version.

    ``version`` and ``price_cents`` are JSON integers, never text or booleans: the version
    decides which change wins, so a consumer refuses (dead-letters) anything else.
    """

    id: UUID
    owner_id: UUID
    title: str
    description: str
    price_cents: StrictInt
    currency: str
    category: str
    stock: int
    version: StrictInt
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    #: The first ready image's thumbnail (absent before any image is ready).
    thumbnail_url: str | None = None


class ProductCreated(ProductEvent):
    type: ClassVar[str] = "core.product.created.v1"


class ProductUpdated(ProductEvent):
    type: ClassVar[str] = "core.product.updated.v1"


class ProductDeleted(ProductEvent):
    type: ClassVar[str] = "core.product.deleted.v1"


class ProductImageUploaded(CoreEvent):
    """The seller says an image's bytes are in the object store: check and process them."""

    type: ClassVar[str] = "core.product_image.uploaded.v1"

    id: UUID
    product_id: UUID
    content_type: str
    size_bytes: int


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    product_id: UUID
    title: str
    quantity: int
    unit_price_cents: int


class OrderEvent(CoreEvent):
    """An order as it is now, with its lines."""

    id: UUID
    buyer_id: UUID
    status: str
    items: tuple[OrderLine, ...]
    total_cents: int
    currency: str
    created_at: datetime
    updated_at: datetime


class OrderPlaced(OrderEvent):
    type: ClassVar[str] = "core.order.placed.v1"


class OrderCancelled(OrderEvent):
    type: ClassVar[str] = "core.order.cancelled.v1"
