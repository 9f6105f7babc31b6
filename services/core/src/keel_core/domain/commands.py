"""Commands (imperative): what a caller asks the core service to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from keel_core.domain.orders import RequestedItem


@dataclass(frozen=True)
class CreateProduct:
    """List a product; ``fields`` holds every field in ``products.EDITABLE_FIELDS``."""

    fields: Mapping[str, Any]


@dataclass(frozen=True)
class UpdateProduct:
    """Change some fields; ``expected_version`` (from If-Match) guards against lost updates."""

    product_id: UUID
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class DeleteProduct:
    product_id: UUID


@dataclass(frozen=True)
class PlaceOrder:
    """Buy; a repeated ``idempotency_key`` with the same items returns the first order."""

    items: tuple[RequestedItem, ...]
    idempotency_key: str


@dataclass(frozen=True)
class CancelOrder:
    order_id: UUID
