"""Every /v1/products row of the issue, through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from keel_core.bootstrap import Core

PRODUCT_FIELDS = {
    "id", "owner_id", "title", "description", "price_cents", "currency", "category", "stock",
    "version", "created_at", "updated_at", "images", "listed", "unlisted_reason",
}  # fmt: skip
PROBLEM = "application/problem+json"


def test_create_then_get_product(
    api: str, seller: Any, create_product: Callable[..., dict[str, Any]]
) -> None:
    created = create_product()

    assert set(created) == PRODUCT_FIELDS
    assert created["owner_id"] == str(seller.id)
    assert uuid.UUID(created["id"])
    fetched = requests.get(f"{api}/v1/products/{created['id']}", timeout=10)
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert fetched.headers["ETag"] == '"1"'


def test_create_product_needs_a_token(api: str, valid_product_body: dict[str, Any]) -> None:
    response = requests.post(f"{api}/v1/products", json=valid_product_body, timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_forged_token_is_refused(api: str, valid_product_body: dict[str, Any]) -> None:
    headers = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
    response = requests.post(
        f"{api}/v1/products", json=valid_product_body, headers=headers, timeout=10
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"price_cents": 0}, "price_cents"),
        ({"price_cents": -100}, "price_cents"),
        ({"price_cents": 12.5}, "price_cents"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"stock": -1}, "stock"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_product_rejects_bad_input(
    api: str, seller: Any, valid_product_body: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    body = valid_product_body | change
    response = requests.post(f"{api}/v1/products", json=body, headers=seller.headers, timeout=10)

    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == PROBLEM
    assert [e["loc"] for e in response.json()["errors"]] == [["body", field]]


def test_unknown_or_malformed_product_id_is_404(api: str) -> None:
    for product_id in (uuid.uuid4(), "not-a-uuid", "1"):
        response = requests.get(f"{api}/v1/products/{product_id}", timeout=10)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == PROBLEM


def test_owner_patches_with_if_match(
    api: str, seller: Any, create_product: Callable[..., dict[str, Any]]
) -> None:
    product = create_product()
    url = f"{api}/v1/products/{product['id']}"

    patched = requests.patch(
        url, json={"price_cents": 39_900}, headers=seller.headers | {"If-Match": '"1"'}, timeout=10
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["price_cents"], patched.json()["version"]) == (39_900, 2)
    assert patched.headers["ETag"] == '"2"'

    weak = requests.patch(
        url, json={"stock": 4}, headers=seller.headers | {"If-Match": 'W/"2"'}, timeout=10
    )
    assert weak.status_code == 200, weak.text
    stale = requests.patch(
        url, json={"stock": 1}, headers=seller.headers | {"If-Match": '"1"'}, timeout=10
    )
    assert stale.status_code == 409
    assert stale.headers["Content-Type"] == PROBLEM
    assert requests.get(url, timeout=10).json()["stock"] == 4


def test_patch_rejects_null_and_malformed_if_match(
    api: str, seller: Any, create_product: Callable[..., dict[str, Any]]
) -> None:
    url = f"{api}/v1/products/{create_product()['id']}"
    null = requests.patch(url, json={"title": None}, headers=seller.headers, timeout=10)
    assert null.status_code == 422
    bad = requests.patch(
        url, json={"stock": 1}, headers=seller.headers | {"If-Match": "yesterday"}, timeout=10
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["header", "If-Match"]


def test_patch_by_another_user_is_403_and_without_token_401(
    api: str, buyer: Any, create_product: Callable[..., dict[str, Any]]
) -> None:
    url = f"{api}/v1/products/{create_product()['id']}"

    assert (
        requests.patch(url, json={"title": "Mine"}, headers=buyer.headers, timeout=10).status_code
        == 403
    )
    assert requests.patch(url, json={"title": "Mine"}, timeout=10).status_code == 401
    assert requests.get(url, timeout=10).json()["title"] == "Walnut desk"


def test_patch_unknown_product_is_404(api: str, seller: Any) -> None:
    response = requests.patch(
        f"{api}/v1/products/{uuid.uuid4()}", json={"stock": 1}, headers=seller.headers, timeout=10
    )
    assert response.status_code == 404


def test_delete_is_soft_and_owner_or_admin_only(
    api: str,
    wired: Core,
    seller: Any,
    buyer: Any,
    admin: Any,
    create_product: Callable[..., dict[str, Any]],
) -> None:
    first, second = create_product(), create_product(title="Lamp")
    first_url, second_url = (f"{api}/v1/products/{p['id']}" for p in (first, second))

    assert requests.delete(first_url, timeout=10).status_code == 401
    assert requests.delete(first_url, headers=buyer.headers, timeout=10).status_code == 403
    assert requests.delete(first_url, headers=seller.headers, timeout=10).status_code == 204
    assert requests.delete(second_url, headers=admin.headers, timeout=10).status_code == 204

    assert requests.get(first_url, timeout=10).status_code == 404
    assert requests.delete(first_url, headers=seller.headers, timeout=10).status_code == 404
    with wired.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT deleted_at FROM products")).all()
    assert len(rows) == 2 and all(row.deleted_at is not None for row in rows)
