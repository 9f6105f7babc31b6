"""Unlist / relist (/v1/admin/products/{id}/unlist|relist): the product leaves the public
listing with a reason its owner reads, comes back on relist, search is told, both audited;
on SQLite and PostgreSQL, through a real socket. (401/403: test_http_admin's ROUTES.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from keel_core.bootstrap import Core

WHY = {"reason": "counterfeit report 7"}


def _post(api: str, product: dict[str, Any], action: str, who: Any, body: Any = None) -> Any:
    url = f"{api}/v1/admin/products/{product['id']}/{action}"
    return requests.post(url, json=WHY if body is None else body, headers=who.headers, timeout=10)


def _public_ids(api: str, **params: Any) -> list[str]:
    response = requests.get(f"{api}/v1/products", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


def _outbox(wired: Core) -> list[str]:
    with wired.engine.connect() as connection:
        return [row[0] for row in connection.exec_driver_sql("SELECT type FROM outbox")]


def test_unlist_hides_it_and_tells_the_owner_why_then_relist_brings_it_back(
    wired: Core, api: str, seller: Any, new_user: Callable[..., Any], create_product: Any
) -> None:
    staff, lamp = new_user("staff"), create_product()
    assert lamp["listed"] is True and lamp["unlisted_reason"] is None

    unlisted = _post(api, lamp, "unlist", staff)

    assert unlisted.status_code == 200, unlisted.text
    assert (unlisted.json()["listed"], unlisted.json()["unlisted_reason"]) == (False, WHY["reason"])
    assert lamp["id"] not in _public_ids(api)
    assert lamp["id"] not in _public_ids(api, owner_id=str(seller.id), limit=5)
    owner_view = requests.get(f"{api}/v1/products/{lamp['id']}", headers=seller.headers, timeout=10)
    assert owner_view.json()["unlisted_reason"] == WHY["reason"]
    assert "core.product.deleted.v1" in _outbox(wired)
    buyer = new_user()
    order = {"items": [{"product_id": lamp["id"], "quantity": 1}]}
    headers = {**buyer.headers, "Idempotency-Key": "unlisted-order-1"}
    refused = requests.post(f"{api}/v1/orders", json=order, headers=headers, timeout=10)
    assert refused.status_code == 422 and "not for sale" in refused.text, refused.text

    relisted = _post(api, lamp, "relist", staff, {"reason": "cleared after review"})

    assert relisted.status_code == 200, relisted.text
    assert (relisted.json()["listed"], relisted.json()["unlisted_reason"]) == (True, None)
    assert relisted.json()["version"] > unlisted.json()["version"]  # newer than the tombstone
    assert lamp["id"] in _public_ids(api)
    assert _outbox(wired).count("core.product.updated.v1") >= 1


def test_unlist_and_relist_leave_audit_records(
    api: str, new_user: Callable[..., Any], create_product: Any
) -> None:
    staff, lamp = new_user("staff"), create_product()
    assert _post(api, lamp, "unlist", staff).status_code == 200
    assert _post(api, lamp, "relist", staff, {"reason": "cleared"}).status_code == 200

    params = {"target_id": lamp["id"]}
    audit = requests.get(f"{api}/v1/admin/audit", params=params, headers=staff.headers, timeout=10)

    assert audit.status_code == 200, audit.text
    entries = {e["action"]: e for e in audit.json()["items"]}
    assert set(entries) == {"product.unlisted", "product.relisted"}
    assert entries["product.unlisted"]["reason"] == WHY["reason"]
    assert entries["product.relisted"]["reason"] == "cleared"
    assert {e["actor_id"] for e in entries.values()} == {str(staff.id)}
    assert {e["target_type"] for e in entries.values()} == {"product"}


def test_a_reason_is_required_and_unknown_products_are_404(
    api: str, admin: Any, create_product: Any
) -> None:
    lamp = create_product()
    for body in ({}, {"reason": ""}, {"reason": "  "}):
        assert _post(api, lamp, "unlist", admin, body).status_code == 422, body
    missing = {"id": "00000000-0000-4000-8000-000000000000"}
    assert _post(api, missing, "unlist", admin).status_code == 404


def test_an_unlisted_product_is_404_like_a_deleted_one_except_to_its_seller_and_staff(
    api: str, seller: Any, new_user: Callable[..., Any], create_product: Any
) -> None:
    staff, lamp, gone = new_user("staff"), create_product(), create_product()
    url = f"{api}/v1/products/{lamp['id']}"
    assert requests.get(url, timeout=10).status_code == 200  # now in the read cache
    requests.delete(f"{api}/v1/products/{gone['id']}", headers=seller.headers, timeout=10)
    deleted = requests.get(f"{api}/v1/products/{gone['id']}", timeout=10)
    assert _post(api, lamp, "unlist", staff).status_code == 200

    for who in (None, new_user()):
        hidden = requests.get(url, headers=who.headers if who else None, timeout=10)
        assert hidden.status_code == 404, hidden.text
        assert hidden.headers["Content-Type"] == "application/problem+json"
        assert hidden.json() == deleted.json()
        assert WHY["reason"] not in hidden.text
    for who in (seller, staff):
        shown = requests.get(url, headers=who.headers, timeout=10)
        assert shown.status_code == 200, shown.text
        assert (shown.json()["listed"], shown.json()["unlisted_reason"]) == (False, WHY["reason"])
    assert requests.get(url, timeout=10).status_code == 404  # no rendering left behind
