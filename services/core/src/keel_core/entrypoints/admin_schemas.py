"""Request and response models of core's back-office API (``/v1/admin/...``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from keel_common.http import Schema
from keel_core.domain.audit import MAX_REASON
from keel_core.entrypoints.schemas import OrderOut, ProductOut, ProductPatch
from keel_core.service_layer.pagination import DEFAULT_LIMIT, MAX_LIMIT

Reason = Annotated[
    str,
    Field(min_length=1, max_length=MAX_REASON, description="Why; kept in the audit trail"),
]


class Paging(Schema):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")


class AdminProductQuery(Paging):
    id: UUID | None = Field(default=None, description="One product by id")
    owner_id: UUID | None = None
    title: str | None = Field(default=None, max_length=200, description="Part of the title")


class AdminOrderQuery(Paging):
    id: UUID | None = Field(default=None, description="One order by id")
    buyer_id: UUID | None = None


class AdminProductEdit(Schema):
    changes: ProductPatch
    reason: Reason


class CancelIn(Schema):
    reason: Reason


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    action: str
    actor_id: UUID
    target_type: str
    target_id: str
    reason: str
    occurred_at: datetime
    details: dict[str, Any]


class AdminProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None


class AdminOrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class AdminOrderOut(BaseModel):
    order: OrderOut
    audit: list[AuditOut]


class TakingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    orders: int
    revenue_cents: int


class OrdersTodayOut(BaseModel):
    since: datetime = Field(description="Midnight UTC today")
    by_currency: list[TakingsOut]


class ThresholdOut(BaseModel):
    platform: Literal["ios", "android"]
    min_supported_version: str = Field(description="Below it a client must update (hard)")
    latest_version: str = Field(description="Below it a client may update (soft)")


class ThresholdsOut(BaseModel):
    items: list[ThresholdOut]


class PlatformPath(BaseModel):
    platform: Literal["ios", "android"]


class ThresholdIn(Schema):
    min_supported_version: str = Field(pattern=r"^\d+\.\d+\.\d+$", max_length=32)
    latest_version: str = Field(pattern=r"^\d+\.\d+\.\d+$", max_length=32)
    reason: Reason
