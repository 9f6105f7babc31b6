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
from keel_core.adapters.orm import order_lines, orders, outbox, products
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


def test_erasure_leaves_none_of_the_seller_s_words_on_the_rows_it_keeps(
    api: str, wired: Core, seller: Any, buyer: Any, create_product: Callable[..., Any]
) -> None:
    desk = create_product(owner=seller, title="Noor's desk", description="Noor's flat")
    gone = create_product(owner=seller, title="Noor's lamp")
    requests.delete(f"{api}/v1/products/{gone['id']}", headers=seller.headers, timeout=10)
    headers = buyer.headers | {"Idempotency-Key": "buyer-key"}
    body = {"items": [{"product_id": desk["id"], "quantity": 2}]}
    placed = requests.post(f"{api}/v1/orders", json=body, headers=headers, timeout=10).json()
    with wired.engine.begin() as conn:  # as the relay leaves them, kept for replay
        conn.execute(sa.update(outbox).values(published_at=datetime.now(UTC)))

    erase(wired, seller.id)

    with wired.engine.connect() as conn:
        payloads = [r.payload for r in conn.execute(sa.select(outbox))]
        rows = conn.execute(sa.select(products).where(products.c.owner_id == seller.id)).all()
        lines = conn.execute(sa.select(order_lines)).all()
    assert len(rows) == 2 and all(r.deleted_at is not None for r in rows)
    assert {(r.title, r.description, r.category) for r in rows} == {("(erased)", "", "")}
    assert [(line.title, line.quantity) for line in lines] == [("(erased)", 2)]
    assert payloads and not [p for p in payloads if "Noor" in p]  # published copies too
    order = requests.get(f"{api}/v1/orders/{placed['id']}", headers=buyer.headers, timeout=10)
    assert order.json()["total_cents"] == placed["total_cents"]  # the buyer's books still add up
