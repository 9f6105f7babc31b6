"""``ExportUserData`` (issue #14's data export) on core's real server under mutual TLS:
auth gets the user's products and orders as JSON; any other service is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import grpc
import pytest

from keel_common.discovery import StaticDiscovery
from keel_common.grpc import KeelServer, MutualTls, ServerSecurity, channel_for, create_server
from keel_common.testing.certificates import TestCertificateAuthority
from keel_core.bootstrap import Core
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct, PlaceOrder
from keel_core.domain.orders import RequestedItem
from keel_core.entrypoints.grpc_catalog import CatalogServicer
from keel_core.entrypoints.grpc_server import CALLERS, SERVICE_NAMES
from keel_core.service_layer import orders, products
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

FIELDS = {"title": "Walnut desk", "description": "", "price_cents": 45_000}
FIELDS |= {"currency": "EUR", "category": "furniture", "stock": 5}


@pytest.fixture(scope="module")
def ca() -> TestCertificateAuthority:
    return TestCertificateAuthority()


def tls(ca: TestCertificateAuthority, name: str) -> MutualTls:
    issued = ca.issue(name)
    return MutualTls(issued.certificate, issued.private_key, issued.ca)


@pytest.fixture
def server(wired: Core, ca: TestCertificateAuthority) -> Iterator[KeelServer]:
    """Core's servicer and its real ``CALLERS``, served with core's certificate."""
    servicer = CatalogServicer(wired.uow, wired.users)
    running = create_server(
        "core",
        0,
        lambda server: core_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server),
        service_names=SERVICE_NAMES,
        host="127.0.0.1",
        security=ServerSecurity(tls=tls(ca, "core"), reflection=False, health_port=0),
        callers=CALLERS,
    )
    running.start()
    yield running
    running.drain(grace=0)


def catalog_as(server: KeelServer, credentials: MutualTls) -> Any:
    discovery = StaticDiscovery({"core": f"127.0.0.1:{server.port}"})
    return core_pb2_grpc.CatalogServiceStub(
        channel_for("core", discovery, timeout=10, tls=credentials)
    )


def test_auth_gets_the_users_products_and_orders(wired: Core, server, ca) -> None:
    seller, buyer = uuid4(), uuid4()
    desk = products.create_product(wired.uow(), Actor(seller), CreateProduct(FIELDS))
    orders.place_order(wired.uow(), Actor(buyer), PlaceOrder((RequestedItem(desk.id, 1),), "k"))
    auth = catalog_as(server, tls(ca, "auth"))

    sold = auth.ExportUserData(core_pb2.ExportUserDataRequest(user_id=str(seller)))
    bought = auth.ExportUserData(core_pb2.ExportUserDataRequest(user_id=str(buyer)))

    seller_doc, buyer_doc = json.loads(sold.document), json.loads(bought.document)
    assert [p["title"] for p in seller_doc["products"]] == ["Walnut desk"]
    assert seller_doc["orders"] == [] and buyer_doc["products"] == []
    assert [o["buyer_id"] for o in buyer_doc["orders"]] == [str(buyer)]


def test_another_service_is_denied_export_user_data(server, ca) -> None:
    notification = catalog_as(server, tls(ca, "notification"))

    with pytest.raises(grpc.RpcError) as refused:
        notification.ExportUserData(core_pb2.ExportUserDataRequest(user_id=str(uuid4())))

    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
