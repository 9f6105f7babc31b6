"""core's back-office API (/v1/admin/...): who may call it, what each action does and the
audit record it leaves; on SQLite and PostgreSQL, through a real socket."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from keel_core.bootstrap import Core

PROBLEM = "application/problem+json"
NOBODY = "00000000-0000-4000-8000-000000000000"
REASON = {"reason": "support ticket 42"}

# Every admin route, with a body a staff member or admin could send successfully.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/admin/products", None),
    ("PATCH", f"/v1/admin/products/{NOBODY}", {"changes": {"stock": 1}, **REASON}),
    ("POST", f"/v1/admin/products/{NOBODY}/unlist", REASON),
    ("POST", f"/v1/admin/products/{NOBODY}/relist", REASON),
    ("GET", "/v1/admin/orders", None),
    ("GET", "/v1/admin/orders/today", None),
    ("GET", f"/v1/admin/orders/{NOBODY}", None),
    ("POST", f"/v1/admin/orders/{NOBODY}/cancel", REASON),
    ("GET", "/v1/admin/app-versions", None),
    ("GET", "/v1/admin/audit", None),
    (
        "PUT",
        "/v1/admin/app-versions/ios",
        {"min_supported_version": "1.0.0", "latest_version": "1.1.0", **REASON},
    ),
]


def _call(api: str, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return requests.request(method, f"{api}{path}", json=body, headers=headers, timeout=10)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_admin_route_needs_a_token(api: str, method: str, path: str, body: Any) -> None:
    response = _call(api, method, path, body, {})
    assert response.status_code == 401, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_admin_route_refuses_a_user(
    api: str, new_user: Callable[..., Any], method: str, path: str, body: Any
) -> None:
    response = _call(api, method, path, body, new_user("user").headers)
    assert response.status_code == 403, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)


def _order(api: str, buyer: Any, product: dict[str, Any], quantity: int) -> dict[str, Any]:
    body = {"items": [{"product_id": product["id"], "quantity": quantity}]}
    headers = buyer.headers | {"Idempotency-Key": str(uuid.uuid4())}
    response = requests.post(f"{api}/v1/orders", json=body, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


def _stock(api: str, product: dict[str, Any]) -> int:
    stock: int = requests.get(f"{api}/v1/products/{product['id']}", timeout=10).json()["stock"]
    return stock


def test_staff_cancel_an_order_restocks_and_is_audited(
    api: str, buyer: Any, new_user: Callable[..., Any], create_product: Callable[..., Any]
) -> None:
    staff = new_user("staff")
    desk = create_product(stock=3)
    placed = _order(api, buyer, desk, 2)
    url = f"{api}/v1/admin/orders/{placed['id']}"

    response = requests.post(f"{url}/cancel", json=REASON, headers=staff.headers, timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["order"]["status"] == "cancelled"
    assert _stock(api, desk) == 3
    [entry] = requests.get(url, headers=staff.headers, timeout=10).json()["audit"]
    assert entry["action"] == "order.cancelled"
    assert (entry["actor_id"], entry["target_id"]) == (str(staff.id), placed["id"])
    assert (entry["target_type"], entry["reason"]) == ("order", "support ticket 42")
    assert entry["occurred_at"]
    again = requests.post(f"{url}/cancel", json=REASON, headers=staff.headers, timeout=10)
    assert again.status_code == 409


def test_cancel_stages_the_event_that_emails_the_buyer(
    wired: Core, api: str, buyer: Any, admin: Any, create_product: Callable[..., Any]
) -> None:
    placed = _order(api, buyer, create_product(stock=3), 1)
    url = f"{api}/v1/admin/orders/{placed['id']}/cancel"
    assert requests.post(url, json=REASON, headers=admin.headers, timeout=10).status_code == 200
    with wired.engine.connect() as connection:
        types = [row[0] for row in connection.exec_driver_sql("SELECT type FROM outbox")]
    assert "core.order.cancelled.v1" in types


def test_a_reason_is_required(api: str, admin: Any, buyer: Any, create_product: Any) -> None:
    placed = _order(api, buyer, create_product(stock=3), 1)
    url = f"{api}/v1/admin/orders/{placed['id']}/cancel"
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = requests.post(url, json=body, headers=admin.headers, timeout=10)
        assert response.status_code == 422, (body, response.text)


def test_find_orders_by_buyer_pages_with_a_cursor(
    api: str, buyer: Any, new_user: Callable[..., Any], create_product: Callable[..., Any]
) -> None:
    staff = new_user("staff")
    lamp = create_product(stock=10)
    placed = [_order(api, buyer, lamp, 1)["id"] for _ in range(3)]
    _order(api, new_user(), lamp, 1)  # someone else's
    seen: list[str] = []
    params: dict[str, Any] = {"buyer_id": str(buyer.id), "limit": 2}
    while True:
        page = requests.get(
            f"{api}/v1/admin/orders", params=params, headers=staff.headers, timeout=10
        ).json()
        seen += [o["id"] for o in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == placed[::-1]
    by_id = requests.get(
        f"{api}/v1/admin/orders", params={"id": placed[0]}, headers=staff.headers, timeout=10
    )
    assert [o["id"] for o in by_id.json()["items"]] == [placed[0]]
    today = requests.get(f"{api}/v1/admin/orders/today", headers=staff.headers, timeout=10)
    assert today.json()["by_currency"] == [
        {"currency": "EUR", "orders": 4, "revenue_cents": 4 * 45_000}
    ]


def test_find_products_by_title_and_edit_one_audited(
    wired: Core,
    api: str,
    new_user: Callable[..., Any],
    seller: Any,
    create_product: Callable[..., Any],
) -> None:
    staff = new_user("staff")
    lamp = create_product(title="Walnut desk lamp")
    create_product(title="Oak chair")
    found = requests.get(
        f"{api}/v1/admin/products", params={"title": "DESK"}, headers=staff.headers, timeout=10
    ).json()
    assert [p["id"] for p in found["items"]] == [lamp["id"]]

    body = {"changes": {"title": "Walnut lamp", "stock": 9}, "reason": "typo reported"}
    url = f"{api}/v1/admin/products/{lamp['id']}"
    response = requests.patch(url, json=body, headers=staff.headers, timeout=10)

    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["stock"]) == ("Walnut lamp", 9)
    changes = {"title": ["Walnut desk lamp", "Walnut lamp"], "stock": [3, 9]}
    audit = _audit_rows(wired, "product", lamp["id"])
    assert audit == [("product.edited", str(staff.id), "typo reported", {"changes": changes})]


def _audit_rows(wired: Core, target_type: str, target_id: str) -> list[tuple[Any, ...]]:
    """(action, actor, reason, details) of the audit records about one target, oldest first."""
    with wired.uow() as uow:
        entries = uow.audit.for_target(target_type, target_id)
    return [(e.action.value, str(e.actor_id), e.reason, e.details) for e in entries]


def test_thresholds_change_live_and_are_audited(
    wired: Core, api: str, admin: Any, new_user: Callable[..., Any]
) -> None:
    staff = new_user("staff")
    body = {"min_supported_version": "2.0.0", "latest_version": "2.3.0", **REASON}
    url = f"{api}/v1/admin/app-versions/android"
    refused = requests.put(url, json=body, headers=staff.headers, timeout=10)
    assert refused.status_code == 403

    response = requests.put(url, json=body, headers=admin.headers, timeout=10)

    assert response.status_code == 200, response.text
    advice = requests.get(
        f"{api}/v1/app-version", params={"platform": "android", "version": "1.9.0"}, timeout=10
    ).json()
    assert advice == {
        "hard_update": True,
        "soft_update": False,
        "latest_version": "2.3.0",
        "min_supported_version": "2.0.0",
    }
    listed = requests.get(f"{api}/v1/admin/app-versions", headers=staff.headers, timeout=10)
    android = {"platform": "android", "min_supported_version": "2.0.0", "latest_version": "2.3.0"}
    assert android in listed.json()["items"]
    details = {"min_supported_version": ["1.0.0", "2.0.0"], "latest_version": ["1.0.0", "2.3.0"]}
    assert _audit_rows(wired, "app_version", "android") == [
        ("app_version.changed", str(admin.id), "support ticket 42", details)
    ]


def test_thresholds_must_be_ordered(api: str, admin: Any) -> None:
    body = {"min_supported_version": "3.0.0", "latest_version": "2.0.0", **REASON}
    response = requests.put(
        f"{api}/v1/admin/app-versions/ios", json=body, headers=admin.headers, timeout=10
    )
    assert response.status_code == 422


def test_the_admin_api_is_in_the_openapi_document(api: str) -> None:
    document = requests.get(f"{api}/v1/core/openapi.json", timeout=10).json()
    documented = {p for p in document["paths"] if p.startswith("/v1/admin/")}
    assert documented == {
        "/v1/admin/products",
        "/v1/admin/products/{product_id}",
        "/v1/admin/products/{product_id}/unlist",
        "/v1/admin/products/{product_id}/relist",
        "/v1/admin/audit",
        "/v1/admin/orders",
        "/v1/admin/orders/today",
        "/v1/admin/orders/{order_id}",
        "/v1/admin/orders/{order_id}/cancel",
        "/v1/admin/app-versions",
        "/v1/admin/app-versions/{platform}",
    }


def test_with_require_mfa_for_roles_staff_need_a_second_factor_in_the_token(
    api: str, wired: Core, mint: Any
) -> None:
    wired.settings = wired.settings.model_copy(
        update={"require_mfa_for_roles": frozenset({"admin", "staff"})}
    )
    staff = uuid.uuid4()
    one_factor = {"Authorization": f"Bearer {mint.token(staff, ('staff',), amr=['pwd'])}"}
    two_factors = {
        "Authorization": f"Bearer {mint.token(staff, ('staff',), amr=['mfa', 'otp', 'pwd'])}"
    }

    refused = _call(api, "GET", "/v1/admin/products", None, one_factor)
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "/problems/mfa-required"
    assert _call(api, "GET", "/v1/admin/products", None, two_factors).status_code == 200


def test_the_audit_trail_lists_admin_actions_newest_first_by_actor(
    api: str, admin: Any, new_user: Callable[..., Any]
) -> None:
    for version in ("1.1.0", "1.2.0"):
        body = {"min_supported_version": "1.0.0", "latest_version": version, **REASON}
        assert _call(api, "PUT", "/v1/admin/app-versions/android", body, admin.headers).ok
    staff = new_user("staff")
    trail = _call(api, "GET", "/v1/admin/audit?limit=1", None, staff.headers).json()
    [newest] = trail["items"]
    assert (newest["action"], newest["target_id"], newest["reason"]) == (
        "app_version.changed",
        "android",
        "support ticket 42",
    )
    assert newest["details"]["latest_version"] == ["1.1.0", "1.2.0"]
    rest = _call(api, "GET", f"/v1/admin/audit?cursor={trail['next_cursor']}", None, staff.headers)
    assert rest.json()["items"][0]["details"]["latest_version"][1] == "1.1.0"
    nobody = _call(api, "GET", f"/v1/admin/audit?actor_id={NOBODY}", None, staff.headers)
    assert nobody.json() == {"items": [], "next_cursor": None}
