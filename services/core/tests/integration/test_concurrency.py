"""Races through HTTP on PostgreSQL (row locks) and SQLite (its write lock): the locks and the
idempotency constraint decide them, never a lost update."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

RACERS = 8


def _race(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run every call at the same moment (as far as threads allow) and collect the answers."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _order_call(api: str, user: Any, product_id: str, key: str) -> Callable[[], Any]:
    body = {"items": [{"product_id": product_id, "quantity": 1}]}
    headers = user.headers | {"Idempotency-Key": key}
    return lambda: requests.post(f"{api}/v1/orders", json=body, headers=headers, timeout=30)


def _last_item(api: str, seller: Any) -> str:
    body = {
        "title": "Last one",
        "price_cents": 100,
        "currency": "EUR",
        "category": "rare",
        "stock": 1,
    }
    response = requests.post(f"{api}/v1/products", json=body, headers=seller.headers, timeout=10)
    assert response.status_code == 201
    product_id: str = response.json()["id"]
    return product_id


def test_buyers_racing_for_the_last_item_one_wins(
    api: str, seller: Any, new_user: Callable[..., Any]
) -> None:
    product_id = _last_item(api, seller)
    calls = [_order_call(api, new_user(), product_id, "k") for _ in range(RACERS)]

    statuses = sorted(r.status_code for r in _race(calls))

    assert statuses == [201] + [409] * (RACERS - 1)
    product = requests.get(f"{api}/v1/products/{product_id}", timeout=10).json()
    assert product["stock"] == 0


def test_retries_racing_with_one_key_place_one_order(api: str, seller: Any, buyer: Any) -> None:
    product_id = _last_item(api, seller)
    key = str(uuid.uuid4())

    answers = _race([_order_call(api, buyer, product_id, key) for _ in range(RACERS)])

    assert [r.status_code for r in answers] == [201] * RACERS
    assert len({r.json()["id"] for r in answers}) == 1
    mine = requests.get(f"{api}/v1/orders", headers=buyer.headers, timeout=10).json()
    assert len(mine["items"]) == 1


def test_cancels_racing_return_the_stock_once(api: str, seller: Any, buyer: Any) -> None:
    product_id = _last_item(api, seller)
    order = _order_call(api, buyer, product_id, "k")().json()
    url = f"{api}/v1/orders/{order['id']}/cancel"

    def cancel() -> requests.Response:
        return requests.post(url, headers=buyer.headers, timeout=30)

    statuses = sorted(r.status_code for r in _race([cancel] * RACERS))

    assert statuses == [200] + [409] * (RACERS - 1)
    product = requests.get(f"{api}/v1/products/{product_id}", timeout=10).json()
    assert product["stock"] == 1
