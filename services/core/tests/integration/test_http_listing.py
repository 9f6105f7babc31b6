"""GET /v1/products: stable cursor pages, newest first, filters, bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests


def _titles(api: str, **params: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = requests.get(f"{api}/v1/products", params=query, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([p["title"] for p in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_pages_are_newest_first_and_stable(
    api: str, seller: Any, create_product: Callable[..., dict[str, Any]]
) -> None:
    made = [create_product(title=f"p{n}") for n in range(5)]
    first = requests.get(f"{api}/v1/products", params={"limit": 2}, timeout=10).json()

    create_product(title="newer")
    requests.delete(f"{api}/v1/products/{made[4]['id']}", headers=seller.headers, timeout=10)
    rest = _titles(api, limit=2, cursor=first["next_cursor"])

    assert [p["title"] for p in first["items"]] == ["p4", "p3"]
    assert rest == [["p2", "p1"], ["p0"]]


def test_filters_by_owner_and_category(
    api: str, buyer: Any, create_product: Callable[..., dict[str, Any]]
) -> None:
    create_product(title="desk")
    create_product(title="lamp", category="lighting")
    create_product(owner=buyer, title="chair")

    assert _titles(api, category="lighting") == [["lamp"]]
    assert _titles(api, owner_id=str(buyer.id)) == [["chair"]]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"cursor": "garbage!"}, {"sort": "price"}],
)
def test_bad_paging_is_422(api: str, params: dict[str, Any]) -> None:
    response = requests.get(f"{api}/v1/products", params=params, timeout=10)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][0] == "query"
