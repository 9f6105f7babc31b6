"""``/v1/orders``: thin translation between HTTP and the order use cases."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from flask_openapi3 import APIBlueprint, Tag

from keel_common.auth import require_principal
from keel_core.domain.commands import CancelOrder, PlaceOrder
from keel_core.domain.orders import OrderSnapshot, RequestedItem
from keel_core.entrypoints.http_context import BEARER, caller, core, uow
from keel_core.entrypoints.schemas import (
    IdempotencyHeader,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderPath,
    OrderQuery,
)
from keel_core.service_layer import orders

api = APIBlueprint(
    "orders",
    __name__,
    url_prefix="/v1/orders",
    abp_tags=[Tag(name="orders")],
    abp_security=BEARER,
)


@api.before_request
def _authenticate() -> None:
    # Every order route needs a caller; checked before the body is validated, so 401 comes
    # first.
    require_principal()


def order_json(order: OrderSnapshot) -> dict[str, Any]:
    return OrderOut.model_validate(order).model_dump(mode="json")


@api.post("", responses={201: OrderOut})
def place_order(body: OrderIn, header: IdempotencyHeader) -> Response:
    """Place an order; the stock is taken atomically.

    Retrying with the same Idempotency-Key and body returns the first order and takes no
    stock again.
    """
    items = tuple(RequestedItem(i.product_id, i.quantity) for i in body.items)
    command = PlaceOrder(items, header.idempotency_key)
    quota = core().settings.orders_per_buyer_per_day
    order = orders.place_order(uow(), caller(), command, daily_quota=quota)
    response = jsonify(order_json(order))
    response.status_code = 201
    response.headers["Location"] = url_for(".get_order", order_id=order.id)
    return response


@api.get("", responses={200: OrderPage})
def list_orders(query: OrderQuery) -> Response:
    """The caller's own orders, newest first."""
    page = orders.list_orders(uow(), caller(), limit=query.limit, cursor=query.cursor)
    return jsonify(items=[order_json(o) for o in page.items], next_cursor=page.next_cursor)


@api.get("/<uuid:order_id>", responses={200: OrderOut})
def get_order(path: OrderPath) -> Response:
    """An order, for its buyer or an admin; 404 for anyone else."""
    return jsonify(order_json(orders.get_order(uow(), caller(), path.order_id)))


@api.post("/<uuid:order_id>/cancel", responses={200: OrderOut})
def cancel_order(path: OrderPath) -> Response:
    """Cancel a placed order (buyer only) and put its stock back on sale."""
    cancelled = orders.cancel_order(uow(), caller(), CancelOrder(path.order_id))
    return jsonify(order_json(cancelled))
