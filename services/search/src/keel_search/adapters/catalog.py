"""Core's catalogue, read over gRPC: ``CatalogService.ListProducts`` feeds a rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from uuid import UUID

import grpc

from keel_protos.core.v1 import core_pb2, core_pb2_grpc
from keel_search.domain.errors import CatalogueUnavailable
from keel_search.domain.products import ProductDocument
from keel_search.service_layer.ports import ProductSource


def document_from_message(product: core_pb2.Product) -> ProductDocument:
    return ProductDocument(
        id=UUID(product.id),
        title=product.title,
        description=product.description,
        category=product.category,
        price_cents=product.price_cents,
        currency=product.currency,
        owner_id=UUID(product.owner_id),
        created_at=product.created_at.ToDatetime(tzinfo=UTC),
        updated_at=product.updated_at.ToDatetime(tzinfo=UTC),
        version=product.version,
        thumbnail_url=product.thumbnail_url or None,
    )


class GrpcProductSource(ProductSource):
    """``timeout`` bounds the whole stream: a million products take a while to send."""

    def __init__(self, channel: grpc.Channel, timeout: float) -> None:
        self._stub = core_pb2_grpc.CatalogServiceStub(channel)
        self._timeout = timeout

    def stream(self) -> Iterator[ProductDocument]:
        request = core_pb2.ListProductsRequest()
        try:
            for product in self._stub.ListProducts(request, timeout=self._timeout):
                yield document_from_message(product)
        except grpc.RpcError as exc:
            code = exc.code()  # every call error raised by a stub is also a grpc.Call
            detail = exc.details()
            raise CatalogueUnavailable(f"core ListProducts: {code.name}: {detail}") from None
