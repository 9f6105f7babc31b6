"""Core's part of an account erasure on SQLite and PostgreSQL (issue #14): what the worker's
handler does with ``auth.user.erasure_requested.v1``, seen through the HTTP API and the
outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
import sqlalchemy as sa

from keel_common.messaging import Envelope
from keel_core.adapters.orm import orders, outbox
from keel_core.bootstrap import Core
from keel_core.entrypoints.privacy_consumer import erasure_handler
from keel_events.auth import AccountErasureRequested


def erase(core: Core, user_id: uuid.UUID) -> None:
    event = AccountErasureRequested(user_id=user_id, requested_at=datetime.now(UTC))
    erasure_handler(core)(event, Envelope.new(type=event.type, source="test", data=event.to_data()))


def test_erasure_unlists_products_and_pseudonymizes_orders(
    api: str, wired: Core, seller: Any, buyer: Any, create_product: Callable[..., Any]
) -> None:
    mine = create_product(owner=buyer, title="Old bike")
    desk = create_product(owner=seller)
    headers = buyer.headers | {"Idempotency-Key": "k1"}
    body = {"items": [{"product_id": desk["id"], "quantity": 1}]}
    placed = requests.post(f"{api}/v1/orders", json=body, headers=headers, timeout=10).json()

    erase(wired, buyer.id)
    erase(wired, buyer.id)  # delivered twice: nothing more happens

    assert requests.get(f"{api}/v1/products/{mine['id']}", timeout=10).status_code == 404
    assert requests.get(f"{api}/v1/products/{desk['id']}", timeout=10).status_code == 200
    with wired.engine.connect() as conn:
        kept = conn.execute(sa.select(orders).where(orders.c.id == uuid.UUID(placed["id"]))).one()
        types = [json.loads(r.payload)["type"] for r in conn.execute(sa.select(outbox))]
    assert kept.buyer_id != buyer.id and kept.total_cents == placed["total_cents"]
    assert types.count("core.product.deleted.v1") == 1
    assert types.count("core.user.erased.v1") == 2
