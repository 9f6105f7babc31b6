"""``/v1/admin/...``: core's back-office API, a thin translation to the admin use cases.

Every route needs a token (401 first); the service layer decides staff/admin (403).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag

from keel_common.auth import require_principal
from keel_core.domain.app_versions import Platform, VersionPolicy
from keel_core.domain.products import ProductSnapshot
from keel_core.entrypoints.admin_schemas import (
    AdminOrderOut,
    AdminOrderPage,
    AdminOrderQuery,
    AdminProductEdit,
    AdminProductPage,
    AdminProductQuery,
    AuditOut,
    CancelIn,
    OrdersTodayOut,
    PlatformPath,
    ThresholdIn,
    ThresholdOut,
    ThresholdsOut,
)
from keel_core.entrypoints.http_context import BEARER, caller, core, uow
from keel_core.entrypoints.http_orders import order_json
from keel_core.entrypoints.schemas import OrderPath, ProductOut, ProductPath
from keel_core.service_layer import admin_app_versions, admin_orders, admin_products

api = APIBlueprint(
    "admin",
    __name__,
    url_prefix="/v1/admin",
    abp_tags=[Tag(name="admin", description="Back-office: staff and admins only")],
    abp_security=BEARER,
)


@api.before_request
def _authenticate() -> None:
    require_principal()


def _product_json(product: ProductSnapshot) -> dict[str, Any]:
    return ProductOut.model_validate(product).model_dump(mode="json")


@api.get("/products", responses={200: AdminProductPage})
def find_products(query: AdminProductQuery) -> Response:
    """Products by id, owner or part of the title, newest first (staff)."""
    page = admin_products.find_products(
        uow(),
        caller(),
        product_id=query.id,
        owner_id=query.owner_id,
        title=query.title,
        limit=query.limit,
        cursor=query.cursor,
    )
    items = [_product_json(p) for p in page.items]
    return jsonify(items=items, next_cursor=page.next_cursor)


@api.patch("/products/<uuid:product_id>", responses={200: ProductOut})
def edit_product(path: ProductPath, body: AdminProductEdit) -> Response:
    """Change any product's fields, with a reason kept in the audit trail (staff)."""
    changes = body.changes.model_dump(exclude_unset=True)
    edited = admin_products.edit_product(uow(), caller(), path.product_id, changes, body.reason)
    return jsonify(_product_json(edited))


@api.get("/orders", responses={200: AdminOrderPage})
def find_orders(query: AdminOrderQuery) -> Response:
    """Orders by id or buyer, or every order; newest first (staff)."""
    page = admin_orders.find_orders(
        uow(),
        caller(),
        order_id=query.id,
        buyer_id=query.buyer_id,
        limit=query.limit,
        cursor=query.cursor,
    )
    return jsonify(items=[order_json(o) for o in page.items], next_cursor=page.next_cursor)


@api.get("/orders/<uuid:order_id>", responses={200: AdminOrderOut})
def get_order(path: OrderPath) -> Response:
    """An order with its items, totals and the back-office actions taken on it (staff)."""
    found = admin_orders.order_record(uow(), caller(), path.order_id)
    audit = [AuditOut.model_validate(e).model_dump(mode="json") for e in found.audit]
    return jsonify(order=order_json(found.order), audit=audit)


@api.post("/orders/<uuid:order_id>/cancel", responses={200: AdminOrderOut})
def cancel_order(path: OrderPath, body: CancelIn) -> Response:
    """Cancel a placed order: its stock is returned and the buyer is emailed (staff)."""
    admin_orders.cancel_order(uow(), caller(), path.order_id, body.reason)
    return get_order(path)


@api.get("/orders/today", responses={200: OrdersTodayOut})
def orders_today() -> Response:
    """Orders placed since midnight UTC (not cancelled) and their revenue (staff)."""
    takings = admin_orders.orders_today(uow(), caller())
    since = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
    by_currency = [{"currency": t.currency, "orders": t.orders, "revenue_cents": t.revenue_cents}
                   for t in takings]  # fmt: skip
    return jsonify(since=since.isoformat(), by_currency=by_currency)


def _threshold_json(platform: Platform, policy: VersionPolicy) -> dict[str, str]:
    return ThresholdOut(
        platform=platform.value,
        min_supported_version=str(policy.min_supported),
        latest_version=str(policy.latest),
    ).model_dump(mode="json")


@api.get("/app-versions", responses={200: ThresholdsOut})
def get_thresholds() -> Response:
    """The hard (min supported) and soft (latest) update thresholds per platform (staff)."""
    found = admin_app_versions.thresholds(caller(), core().policies)
    return jsonify(items=[_threshold_json(p, policy) for p, policy in found.items()])


@api.put("/app-versions/<platform>", responses={200: ThresholdOut})
def set_thresholds(path: PlatformPath, body: ThresholdIn) -> Response:
    """Change one platform's thresholds live, with a reason (admin)."""
    platform = Platform(path.platform)
    policy = admin_app_versions.set_thresholds(
        uow(),
        core().policies,
        caller(),
        platform,
        body.min_supported_version,
        body.latest_version,
        body.reason,
    )
    return jsonify(_threshold_json(platform, policy))
