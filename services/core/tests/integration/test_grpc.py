"""core.v1.CatalogService over a real gRPC socket, with auth's GetUsers served by a stub."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC
from typing import Any
from uuid import UUID, uuid4

import grpc
import pytest

from keel_core.adapters.auth_users import GrpcUserDirectory
from keel_core.bootstrap import Core
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct, DeleteProduct, PlaceOrder
from keel_core.domain.orders import RequestedItem
from keel_core.entrypoints.grpc_server import create_server
from keel_core.service_layer import orders, products
from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

FIELDS = {
    "title": "Walnut desk",
    "description": "",
    "price_cents": 45_000,
    "currency": "EUR",
    "category": "furniture",
    "stock": 5,
}


class StubAuth(auth_pb2_grpc.AuthServiceServicer):
    """auth.v1.AuthService with only GetUsers, recording every batch it is asked for."""

    def __init__(self) -> None:
        self.users: dict[str, tuple[str, str]] = {}
        self.calls: list[list[str]] = []

    def GetUsers(self, request: Any, context: Any) -> auth_pb2.GetUsersResponse:
        self.calls.append(list(request.ids))
        known = [i for i in request.ids if i in self.users]
        return auth_pb2.GetUsersResponse(
            users=[
                auth_pb2.User(id=i, name=self.users[i][0], email=self.users[i][1]) for i in known
            ],
            missing_ids=[i for i in request.ids if i not in self.users],
        )


@pytest.fixture
def auth() -> Iterator[tuple[StubAuth, str]]:
    stub = StubAuth()
    server = grpc.server(ThreadPoolExecutor(2))
    auth_pb2_grpc.add_AuthServiceServicer_to_server(stub, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield stub, f"127.0.0.1:{port}"
    server.stop(None)


@pytest.fixture
def catalog(wired: Core, auth: tuple[StubAuth, str]) -> Iterator[core_pb2_grpc.CatalogServiceStub]:
    auth_channel = grpc.insecure_channel(auth[1])
    server = create_server(replace(wired, users=GrpcUserDirectory(auth_channel)), port=0)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    yield core_pb2_grpc.CatalogServiceStub(channel)
    channel.close()
    server.stop(None)
    auth_channel.close()


def _product(wired: Core, owner: UUID, **overrides: Any) -> Any:
    command = CreateProduct(FIELDS | overrides)
    return products.create_product(wired.uow(), Actor(owner), command)


def test_get_product(wired: Core, catalog: core_pb2_grpc.CatalogServiceStub) -> None:
    made = _product(wired, uuid4())

    answer = catalog.GetProduct(core_pb2.GetProductRequest(id=str(made.id)), timeout=10).product

    assert (answer.id, answer.owner_id) == (str(made.id), str(made.owner_id))
    assert (answer.title, answer.price_cents, answer.currency) == (made.title, 45_000, "EUR")
    assert (answer.stock, answer.version) == (5, 1)
    assert answer.created_at.ToDatetime(tzinfo=UTC) == made.created_at


@pytest.mark.parametrize(
    ("product_id", "code"),
    [
        ("7d4f6c2e-9a51-4f0e-8c3b-2b1f0d9e6a71", grpc.StatusCode.NOT_FOUND),
        ("nope", grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_get_product_errors(
    catalog: core_pb2_grpc.CatalogServiceStub, product_id: str, code: grpc.StatusCode
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        catalog.GetProduct(core_pb2.GetProductRequest(id=product_id), timeout=10)
    assert caught.value.code() == code


def test_list_products_streams_every_live_product(
    wired: Core, catalog: core_pb2_grpc.CatalogServiceStub
) -> None:
    owner = uuid4()
    made = [_product(wired, owner, title=f"p{n}") for n in range(3)]
    products.delete_product(wired.uow(), Actor(owner), DeleteProduct(made[1].id))

    streamed = list(catalog.ListProducts(core_pb2.ListProductsRequest(), timeout=10))

    assert [p.title for p in streamed] == ["p2", "p0"]


def test_get_order_names_its_buyer_from_one_get_users_call(
    wired: Core, catalog: core_pb2_grpc.CatalogServiceStub, auth: tuple[StubAuth, str]
) -> None:
    stub, buyer = auth[0], uuid4()
    stub.users[str(buyer)] = ("Ada Lovelace", "ada@example.com")
    desk = _product(wired, uuid4())
    placed = orders.place_order(
        wired.uow(), Actor(buyer), PlaceOrder((RequestedItem(desk.id, 2),), "k")
    )

    answer = catalog.GetOrder(core_pb2.GetOrderRequest(id=str(placed.id)), timeout=10).order

    assert (answer.buyer_id, answer.buyer_name, answer.buyer_email) == (
        str(buyer),
        "Ada Lovelace",
        "ada@example.com",
    )
    assert (answer.status, answer.total_cents, answer.items[0].quantity) == ("placed", 90_000, 2)
    assert stub.calls == [[str(buyer)]]


def test_get_order_is_unavailable_while_auth_is(wired: Core, auth: tuple[StubAuth, str]) -> None:
    dead_auth = grpc.insecure_channel("127.0.0.1:1")
    dead = replace(wired, users=GrpcUserDirectory(dead_auth, timeout=1))
    server = create_server(dead, port=0)
    server.start()
    desk = _product(wired, uuid4())
    placed = orders.place_order(
        wired.uow(), Actor(uuid4()), PlaceOrder((RequestedItem(desk.id, 1),), "k")
    )
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        with channel, pytest.raises(grpc.RpcError) as caught:
            core_pb2_grpc.CatalogServiceStub(channel).GetOrder(
                core_pb2.GetOrderRequest(id=str(placed.id)), timeout=10
            )
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(None)
        dead_auth.close()
