"""Request and response models of the public HTTP API (and of its OpenAPI document).

Types and bounds are checked here so the document tells clients the rules; the domain checks
the business rules again for every other caller, with the same limits (imported from it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from keel_common.http import Schema
from keel_core.domain.money import MAX_AMOUNT
from keel_core.domain.orders import MAX_IDEMPOTENCY_KEY, MAX_ITEMS, MAX_QUANTITY
from keel_core.domain.products import MAX_CATEGORY, MAX_DESCRIPTION, MAX_STOCK, MAX_TITLE
from keel_core.service_layer.pagination import DEFAULT_LIMIT, MAX_LIMIT

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR")]
Cents = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT, description="Integer minor units")]
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
Category = Annotated[str, Field(min_length=1, max_length=MAX_CATEGORY)]
Stock = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]


class ProductIn(Schema):
    title: Title
    description: Description = ""
    price_cents: Cents
    currency: Currency
    category: Category
    stock: Stock


class ProductPatch(Schema):
    """Only the fields sent are changed; ``null`` is not a value any field accepts."""

    title: Title | None = None
    description: Description | None = None
    price_cents: Cents | None = None
    currency: Currency | None = None
    category: Category | None = None
    stock: Stock | None = None


class ProductPath(BaseModel):
    product_id: UUID


class ProductQuery(Schema):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")
    owner_id: UUID | None = None
    category: str | None = None


class IfMatchHeader(BaseModel):
    if_match: str | None = Field(
        default=None, alias="If-Match", description='The ETag of the version edited, e.g. "3"'
    )


class ImageOut(BaseModel):
    """A ready image of a product (``images`` in product reads)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    url: str
    thumbnail_url: str
    width: int
    height: int


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    owner_id: UUID
    title: str
    description: str
    price_cents: int
    currency: str
    category: str
    stock: int
    version: int = Field(description="Grows with every change; the ETag is its quoted value")
    created_at: datetime
    updated_at: datetime
    images: list[ImageOut] = Field(description="Ready images, in order")
    listed: bool = Field(
        default=True, description="False while the back-office keeps it off listing and search"
    )
    unlisted_reason: str | None = Field(default=None, description="Why it was unlisted")


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None


class OrderItemIn(Schema):
    product_id: UUID
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class OrderIn(Schema):
    items: list[OrderItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class IdempotencyHeader(BaseModel):
    idempotency_key: str = Field(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY,
        description="A client-chosen key; a retry with the same key and body returns the "
        "first order instead of placing a second one",
    )


class OrderPath(BaseModel):
    order_id: UUID


class OrderQuery(Schema):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: UUID
    title: str
    quantity: int
    unit_price_cents: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    buyer_id: UUID
    status: Literal["placed", "cancelled"]
    items: list[OrderItemOut]
    total_cents: int
    currency: str
    created_at: datetime


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class AppVersionQuery(Schema):
    platform: Literal["ios", "android"]
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", description="X.Y.Z, e.g. 1.4.2")


class AppVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    hard_update: bool = Field(description="Below the minimum supported version: must update")
    soft_update: bool = Field(description="Supported but not the latest: may update")
    latest_version: str
    min_supported_version: str


class ImageUploadIn(Schema):
    content_type: str = Field(description="image/jpeg, image/png or image/webp")
    size_bytes: StrictInt = Field(description="The exact size of the file, at most 10 MiB")


class ImageStateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    status: Literal["pending", "processing", "ready", "failed"]
    failure_reason: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None


class UploadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    method: Literal["PUT", "POST"]
    url: str
    fields: dict[str, str] | None = Field(default=None, description="Form fields (POST)")
    headers: dict[str, str] | None = Field(default=None, description="Headers to send (PUT)")
    expires_at: datetime


class ImageUploadOut(BaseModel):
    image: ImageStateOut
    upload: UploadOut


class ImagePath(BaseModel):
    product_id: UUID
    image_id: UUID
