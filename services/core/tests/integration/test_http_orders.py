"""Every /v1/orders row of the issue, through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from keel_core.bootstrap import Core

PROBLEM = "application/problem+json"


@pytest.fixture
def order(api: str) -> Callable[..., requests.Response]:
    """POST /v1/orders as ``user`` with ``(product, quantity)`` pairs."""

    def _order(user: Any, *items: tuple[dict[str, Any], int], key: str | None = None) -> Any:
        body = {"items": [{"product_id": p["id"], "quantity": q} for p, q in items]}
        headers = user.headers | {"Idempotency-Key": key or str(uuid.uuid4())}
        return requests.post(f"{api}/v1/orders", json=body, headers=headers, timeout=10)

    return _order


def _stock(api: str, product: dict[str, Any]) -> int:
    stock: int = requests.get(f"{api}/v1/products/{product['id']}", timeout=10).json()["stock"]
    return stock


def test_place_order(
    api: str, buyer: Any, create_product: Callable[..., Any], order: Callable[..., Any]
) -> None:
    desk = create_product(price_cents=45_000, stock=3)
    lamp = create_product(title="Lamp", price_cents=1_999, stock=10)

    response = order(buyer, (desk, 2), (lamp, 3))

    assert response.status_code == 201, response.text
    placed = response.json()
    assert set(placed) == {
        "id", "buyer_id", "status", "items", "total_cents", "currency", "created_at"
    }  # fmt: skip
    assert (placed["status"], placed["buyer_id"]) == ("placed", str(buyer.id))
    assert placed["items"] == [
        {
            "product_id": desk["id"],
            "title": "Walnut desk",
            "quantity": 2,
            "unit_price_cents": 45_000,
        },
        {"product_id": lamp["id"], "title": "Lamp", "quantity": 3, "unit_price_cents": 1_999},
    ]
    assert (placed["total_cents"], placed["currency"]) == (95_997, "EUR")
    assert (_stock(api, desk), _stock(api, lamp)) == (1, 7)
    fetched = requests.get(f"{api}/v1/orders/{placed['id']}", headers=buyer.headers, timeout=10)
    assert fetched.json() == placed


def test_orders_need_a_token(api: str, create_product: Callable[..., Any]) -> None:
    body = {"items": [{"product_id": create_product()["id"], "quantity": 1}]}
    headers = {"Idempotency-Key": "k"}
    assert (
        requests.post(f"{api}/v1/orders", json=body, headers=headers, timeout=10).status_code == 401
    )
    assert requests.get(f"{api}/v1/orders", timeout=10).status_code == 401
    assert requests.get(f"{api}/v1/orders/{uuid.uuid4()}", timeout=10).status_code == 401
    assert requests.post(f"{api}/v1/orders/{uuid.uuid4()}/cancel", timeout=10).status_code == 401


def test_not_enough_stock_is_409_and_takes_nothing(
    api: str, buyer: Any, create_product: Callable[..., Any], order: Callable[..., Any]
) -> None:
    plenty, scarce = create_product(stock=10), create_product(title="Rare", stock=1)

    response = order(buyer, (plenty, 5), (scarce, 2))

    assert response.status_code == 409
    assert response.headers["Content-Type"] == PROBLEM
    assert (_stock(api, plenty), _stock(api, scarce)) == (10, 1)


def test_bad_orders_are_422(
    api: str,
    seller: Any,
    buyer: Any,
    create_product: Callable[..., Any],
    order: Callable[..., Any],
) -> None:
    eur, usd = create_product(), create_product(currency="USD")
    cases = {
        "empty": order(buyer),
        "duplicate": order(buyer, (eur, 1), (eur, 1)),
        "mixed currencies": order(buyer, (eur, 1), (usd, 1)),
        "own product": order(seller, (eur, 1)),
        "unknown product": order(buyer, ({"id": str(uuid.uuid4())}, 1)),
        "zero quantity": order(buyer, (eur, 0)),
    }
    for case, response in cases.items():
        assert response.status_code == 422, (case, response.text)
        assert response.headers["Content-Type"] == PROBLEM, case
    assert _stock(api, eur) == 3


def test_missing_idempotency_key_is_422(
    api: str, buyer: Any, create_product: Callable[..., Any]
) -> None:
    body = {"items": [{"product_id": create_product()["id"], "quantity": 1}]}
    response = requests.post(f"{api}/v1/orders", json=body, headers=buyer.headers, timeout=10)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


def test_repeated_idempotency_key_returns_the_same_order_once(
    api: str, buyer: Any, create_product: Callable[..., Any], order: Callable[..., Any]
) -> None:
    desk = create_product(stock=5)

    first = order(buyer, (desk, 2), key="checkout-42")
    again = order(buyer, (desk, 2), key="checkout-42")
    other_body = order(buyer, (desk, 1), key="checkout-42")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert other_body.status_code == 422
    assert _stock(api, desk) == 3
    listed = requests.get(f"{api}/v1/orders", headers=buyer.headers, timeout=10).json()
    assert [o["id"] for o in listed["items"]] == [first.json()["id"]]


def test_another_users_order_is_404_but_admins_see_it(
    api: str,
    buyer: Any,
    seller: Any,
    admin: Any,
    create_product: Callable[..., Any],
    order: Callable[..., Any],
) -> None:
    placed = order(buyer, (create_product(), 1)).json()
    url = f"{api}/v1/orders/{placed['id']}"

    assert requests.get(url, headers=seller.headers, timeout=10).status_code == 404
    assert requests.get(url, headers=admin.headers, timeout=10).json() == placed
    assert (
        requests.get(
            f"{api}/v1/orders/{uuid.uuid4()}", headers=buyer.headers, timeout=10
        ).status_code
        == 404
    )


def test_list_orders_shows_the_callers_own_newest_first(
    api: str,
    buyer: Any,
    new_user: Callable[..., Any],
    create_product: Callable[..., Any],
    order: Callable[..., Any],
) -> None:
    desk = create_product(stock=10)
    mine = [order(buyer, (desk, 1)).json()["id"] for _ in range(3)]
    order(new_user(), (desk, 1))

    first = requests.get(f"{api}/v1/orders", params={"limit": 2}, headers=buyer.headers, timeout=10)
    cursor = first.json()["next_cursor"]
    second = requests.get(
        f"{api}/v1/orders", params={"limit": 2, "cursor": cursor}, headers=buyer.headers, timeout=10
    )

    ids = [o["id"] for o in first.json()["items"] + second.json()["items"]]
    assert ids == list(reversed(mine))
    assert second.json()["next_cursor"] is None


def test_cancel_returns_stock_once(
    api: str,
    buyer: Any,
    seller: Any,
    create_product: Callable[..., Any],
    order: Callable[..., Any],
) -> None:
    desk = create_product(stock=3)
    placed = order(buyer, (desk, 2)).json()
    url = f"{api}/v1/orders/{placed['id']}/cancel"

    assert requests.post(url, headers=seller.headers, timeout=10).status_code == 404
    cancelled = requests.post(url, headers=buyer.headers, timeout=10)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert _stock(api, desk) == 3

    again = requests.post(url, headers=buyer.headers, timeout=10)
    assert again.status_code == 409
    assert again.headers["Content-Type"] == PROBLEM
    assert _stock(api, desk) == 3


def test_quotas_count_in_the_database_and_answer_409(
    api: str,
    wired: Core,
    buyer: Any,
    create_product: Callable[..., Any],
    order: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from keel_core.service_layer import products

    # The order quota is a setting (ORDERS_PER_BUYER_PER_DAY), read per request.
    monkeypatch.setattr(wired, "settings", wired.settings.model_copy(
        update={"orders_per_buyer_per_day": 1}))  # fmt: skip
    monkeypatch.setattr(products, "MAX_PRODUCTS_PER_OWNER", 1)
    desk = create_product(stock=5)
    assert order(buyer, (desk, 1)).status_code == 201

    over = order(buyer, (desk, 1))
    assert over.status_code == 409 and over.headers["Content-Type"] == PROBLEM
    assert "orders a day" in over.json()["detail"]
    with pytest.raises(AssertionError):  # the seller's second product is over the quota
        create_product(stock=1)
