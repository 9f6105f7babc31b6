"""``PurchaseHistory`` over core's gRPC ``ListPurchaseHistory``: one round trip per 500 users."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from keel_common.grpc.calls import unavailable_as
from keel_notification.service_layer.ports import (
    Purchase,
    PurchaseHistory,
    PurchaseHistoryUnavailable,
)
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

# The most buyer ids core answers for in one call (keel_core's MAX_BUYERS).
MAX_BUYERS_PER_CALL = 500


def _purchase(product: core_pb2.PurchasedProduct) -> Purchase:
    return Purchase(
        product_id=product.product_id,
        name=product.title,
        quantity=product.quantity,
        last_purchased_at=product.last_purchased_at.ToDatetime(tzinfo=UTC),
    )


class GrpcPurchaseHistory(PurchaseHistory):
    def __init__(self, channel: grpc.Channel, *, timeout: float = 5.0) -> None:
        self._channel = channel
        self._stub = core_pb2_grpc.CatalogServiceStub(channel)
        self._timeout = timeout

    def for_users(
        self, user_ids: Sequence[uuid.UUID], since: datetime
    ) -> dict[uuid.UUID, list[Purchase]]:
        wanted = list(dict.fromkeys(user_ids))
        found: dict[uuid.UUID, list[Purchase]] = {}
        for start in range(0, len(wanted), MAX_BUYERS_PER_CALL):
            batch = wanted[start : start + MAX_BUYERS_PER_CALL]
            for buyer in self._ask(batch, since).buyers:
                found[uuid.UUID(buyer.buyer_id)] = [_purchase(p) for p in buyer.products]
        return found

    def _ask(
        self, user_ids: Sequence[uuid.UUID], since: datetime
    ) -> core_pb2.ListPurchaseHistoryResponse:
        stamp = Timestamp()
        stamp.FromDatetime(since)
        request = core_pb2.ListPurchaseHistoryRequest(
            buyer_ids=[str(u) for u in user_ids], since=stamp
        )
        with unavailable_as(PurchaseHistoryUnavailable, "core ListPurchaseHistory"):
            return self._stub.ListPurchaseHistory(request, timeout=self._timeout)

    def close(self) -> None:
        self._channel.close()
