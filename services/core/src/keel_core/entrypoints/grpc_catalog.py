"""``core.v1.CatalogService``: thin translation between gRPC and the core use cases.

For other services inside the cluster (search rebuilds its index from ``ListProducts``;
notification reads orders with their buyer's name and email, and purchase histories).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from uuid import UUID

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from keel_common.grpc import abort_for
from keel_core.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from keel_core.domain.orders import OrderSnapshot
from keel_core.domain.products import ProductSnapshot
from keel_core.service_layer import export, orders, products, purchase_history
from keel_core.service_layer.ports import UnitOfWork, UserDirectory, UserSummary, UsersUnavailable
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

# Domain errors as gRPC status codes: the one place that decides them.
STATUS_CODES: dict[type[Exception], grpc.StatusCode] = {
    NotFound: grpc.StatusCode.NOT_FOUND,
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    UsersUnavailable: grpc.StatusCode.UNAVAILABLE,
}


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def product_message(product: ProductSnapshot) -> core_pb2.Product:
    return core_pb2.Product(
        id=str(product.id),
        owner_id=str(product.owner_id),
        title=product.title,
        description=product.description,
        price_cents=product.price_cents,
        currency=product.currency,
        category=product.category,
        stock=product.stock,
        created_at=_timestamp(product.created_at),
        updated_at=_timestamp(product.updated_at),
        version=product.version,
        thumbnail_url=product.thumbnail_url or "",
    )


def order_message(order: OrderSnapshot, buyer: UserSummary | None) -> core_pb2.Order:
    return core_pb2.Order(
        id=str(order.id),
        buyer_id=str(order.buyer_id),
        status=order.status,
        items=[
            core_pb2.OrderItem(
                product_id=str(item.product_id),
                title=item.title,
                quantity=item.quantity,
                unit_price_cents=item.unit_price_cents,
            )
            for item in order.items
        ],
        total_cents=order.total_cents,
        currency=order.currency,
        created_at=_timestamp(order.created_at),
        buyer_name=buyer.name if buyer else "",
        buyer_email=buyer.email if buyer else "",
    )


def buyer_history_message(history: purchase_history.BuyerHistory) -> core_pb2.BuyerHistory:
    return core_pb2.BuyerHistory(
        buyer_id=str(history.buyer_id),
        products=[
            core_pb2.PurchasedProduct(
                product_id=str(total.product_id),
                title=total.title,
                quantity=total.quantity,
                last_purchased_at=_timestamp(total.last_purchased_at),
            )
            for total in history.products
        ],
    )


def _uuids(values: Iterable[str], field: str) -> list[UUID]:
    """Every value as a UUID, or ``InvalidInput`` naming each one that is not."""
    parsed, errors = [], []
    for n, value in enumerate(values):
        try:
            parsed.append(UUID(value))
        except ValueError:
            errors.append(FieldError(f"{field}.{n}", "must be a UUID"))
    if errors:
        raise InvalidInput.of(errors)
    return parsed


def _uuid(value: str, context: grpc.ServicerContext) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "id must be a UUID")
    raise AssertionError("context.abort always raises")  # pragma: no cover


class CatalogServicer(core_pb2_grpc.CatalogServiceServicer):
    def __init__(self, uow: Callable[[], UnitOfWork], users: UserDirectory) -> None:
        self._uow = uow
        self._users = users

    def GetProduct(
        self, request: core_pb2.GetProductRequest, context: grpc.ServicerContext
    ) -> core_pb2.GetProductResponse:
        try:
            product = products.get_product(self._uow(), _uuid(request.id, context))
        except Exception as exc:  # noqa: BLE001 - mapped to a status code or re-raised
            abort_for(context, exc, STATUS_CODES)
        return core_pb2.GetProductResponse(product=product_message(product))

    def ListProducts(
        self, request: core_pb2.ListProductsRequest, context: grpc.ServicerContext
    ) -> Iterator[core_pb2.Product]:
        for product in products.iter_live_products(self._uow()):
            yield product_message(product)

    def GetOrder(
        self, request: core_pb2.GetOrderRequest, context: grpc.ServicerContext
    ) -> core_pb2.GetOrderResponse:
        try:
            found = orders.describe_order(self._uow(), self._users, _uuid(request.id, context))
        except Exception as exc:  # noqa: BLE001 - mapped to a status code or re-raised
            abort_for(context, exc, STATUS_CODES)
        return core_pb2.GetOrderResponse(order=order_message(found.order, found.buyer))

    def ListPurchaseHistory(
        self, request: core_pb2.ListPurchaseHistoryRequest, context: grpc.ServicerContext
    ) -> core_pb2.ListPurchaseHistoryResponse:
        # An unset ``since`` reads as the epoch: the whole history.
        since = request.since.ToDatetime(tzinfo=UTC)
        try:
            buyer_ids = _uuids(request.buyer_ids, "buyer_ids")
            found = purchase_history.list_purchase_history(self._uow(), buyer_ids, since)
        except Exception as exc:  # noqa: BLE001 - mapped to a status code or re-raised
            abort_for(context, exc, STATUS_CODES)
        buyers = [buyer_history_message(history) for history in found]
        return core_pb2.ListPurchaseHistoryResponse(buyers=buyers)

    def ExportUserData(
        self, request: core_pb2.ExportUserDataRequest, context: grpc.ServicerContext
    ) -> core_pb2.ExportUserDataResponse:
        """Auth's data export (issue #14): the user's products and orders as JSON."""
        document = export.export_user(self._uow(), _uuid(request.user_id, context))
        return core_pb2.ExportUserDataResponse(document=json.dumps(document, default=str).encode())
