"""Core's part of a data export (issue #14): the user's products and their orders as buyer,
for auth's ``ExportUserData`` call. Read-only; all pages, oldest last."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from keel_common.pagination import Position
from keel_core.service_layer.ports import UnitOfWork

_BATCH = 200


def export_user(uow: UnitOfWork, user_id: UUID) -> dict[str, Any]:
    products: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    with uow:
        after: Position | None = None
        while batch := uow.products.list(limit=_BATCH, after=after, owner_id=user_id):
            products += [dataclasses.asdict(p.snapshot()) for p in batch]
            after = Position(batch[-1].created_at, batch[-1].id)
        after = None
        while found := uow.orders.list_for_buyer(user_id, limit=_BATCH, after=after):
            orders += [dataclasses.asdict(o.snapshot()) for o in found]
            after = Position(found[-1].created_at, found[-1].id)
    return {"products": products, "orders": orders}
