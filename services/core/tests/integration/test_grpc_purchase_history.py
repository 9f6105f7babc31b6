"""core.v1.CatalogService/ListPurchaseHistory over a real gRPC socket and real databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import event

from keel_core.adapters.fakes import FakeUserDirectory
from keel_core.bootstrap import Core
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CancelOrder, CreateProduct, PlaceOrder
from keel_core.domain.orders import RequestedItem
from keel_core.entrypoints.grpc_server import create_server
from keel_core.service_layer import orders, products
from keel_core.service_layer.purchase_history import MAX_BUYERS
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

WEEK_AGO = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)


@pytest.fixture
def catalog(wired: Core) -> Iterator[core_pb2_grpc.CatalogServiceStub]:
    server = create_server(replace(wired, users=FakeUserDirectory()), port=0)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    yield core_pb2_grpc.CatalogServiceStub(channel)
    channel.close()
    server.stop(None)


def _product(wired: Core, title: str) -> Any:
    fields = {"title": title, "description": "", "price_cents": 500, "currency": "EUR"}
    command = CreateProduct(fields | {"category": "food", "stock": 100})
    return products.create_product(wired.uow(), Actor(uuid4()), command)


def _buy(wired: Core, buyer: UUID, at: datetime, *items: tuple[Any, int]) -> Any:
    command = PlaceOrder(tuple(RequestedItem(p.id, q) for p, q in items), str(uuid4()))
    return orders.place_order(wired.uow(), Actor(buyer), command, lambda: at)


def _ask(
    catalog: core_pb2_grpc.CatalogServiceStub, buyers: list[str], since: datetime
) -> core_pb2.ListPurchaseHistoryResponse:
    stamp = Timestamp()
    stamp.FromDatetime(since)
    request = core_pb2.ListPurchaseHistoryRequest(buyer_ids=buyers, since=stamp)
    return catalog.ListPurchaseHistory(request, timeout=10)


def _statements(wired: Core) -> list[str]:
    seen: list[str] = []
    event.listen(wired.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_history_is_summed_per_buyer_and_product_in_one_query(
    wired: Core, catalog: core_pb2_grpc.CatalogServiceStub
) -> None:
    tea, cups = _product(wired, "Tea"), _product(wired, "Cups")
    ada, bob, idle = uuid4(), uuid4(), uuid4()
    _buy(wired, ada, WEEK_AGO - timedelta(days=30), (tea, 9))  # before `since`
    _buy(wired, ada, WEEK_AGO, (tea, 2), (cups, 1))
    last = _buy(wired, ada, WEEK_AGO + timedelta(days=2), (tea, 3))
    cancelled = _buy(wired, ada, WEEK_AGO + timedelta(days=3), (cups, 5))
    orders.cancel_order(wired.uow(), Actor(ada), CancelOrder(cancelled.id))
    _buy(wired, bob, WEEK_AGO + timedelta(days=1), (cups, 4))
    statements = _statements(wired)

    answer = _ask(catalog, [str(bob), str(idle), str(ada)], WEEK_AGO)

    assert len(statements) == 1, statements
    assert [b.buyer_id for b in answer.buyers] == [str(bob), str(ada)]
    bought = {
        b.buyer_id: [(p.product_id, p.title, p.quantity) for p in b.products] for b in answer.buyers
    }
    assert bought == {
        str(bob): [(str(cups.id), "Cups", 4)],
        str(ada): [(str(tea.id), "Tea", 5), (str(cups.id), "Cups", 1)],
    }
    latest = answer.buyers[1].products[0].last_purchased_at.ToDatetime(tzinfo=UTC)
    assert latest == last.created_at


def test_more_buyers_than_allowed_is_invalid(catalog: core_pb2_grpc.CatalogServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _ask(catalog, [str(uuid4()) for _ in range(MAX_BUYERS + 1)], WEEK_AGO)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 500" in (caught.value.details() or "")


def test_a_buyer_id_that_is_not_a_uuid_is_invalid(
    catalog: core_pb2_grpc.CatalogServiceStub,
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _ask(catalog, [str(uuid4()), "nope"], WEEK_AGO)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "buyer_ids.1: must be a UUID"
