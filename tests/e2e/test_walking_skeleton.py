"""The walking skeleton, as a client app sees it: one origin, every service behind it.

A seller lists a product and a buyer orders it, all through the gateway. The order then has
to reach auth over gRPC (core asks who the buyer is) and two consumers over the broker
(notification mails a receipt; search indexes the product).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import requests

from keel_protos.core.v1 import core_pb2, core_pb2_grpc

from .client import (
    TIMEOUT,
    User,
    create_product,
    eventually,
    place_order,
    read_emails,
    text_body,
)
from .platform import Platform


def get_order_over_grpc(platform: Platform, order_id: str) -> core_pb2.Order:
    """core's ``GetOrder``, the way an operator calls it inside the cluster (no gateway)."""
    with platform.grpc_channel("core") as channel:
        stub = core_pb2_grpc.CatalogServiceStub(channel)
        return stub.GetOrder(core_pb2.GetOrderRequest(id=order_id), timeout=TIMEOUT).order


def search_hits(platform: Platform, text: str) -> list[dict[str, object]]:
    response = requests.get(
        f"{platform.base_url}/v1/search/products", params={"q": text}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    hits: list[dict[str, object]] = response.json()["hits"]
    return hits


def test_every_service_answers_on_the_one_origin(platform: Platform) -> None:
    for service in ("auth", "core", "notification", "search"):
        response = requests.get(f"{platform.base_url}/v1/{service}/openapi.json", timeout=TIMEOUT)
        assert response.status_code == 200, (service, response.text[:300])
        assert response.json()["openapi"].startswith("3.")
    jwks = requests.get(f"{platform.base_url}/.well-known/jwks.json", timeout=TIMEOUT)
    assert jwks.status_code == 200
    assert jwks.json()["keys"], "auth publishes no signing key"


def test_an_order_reaches_auth_over_grpc_and_both_consumers_over_the_broker(
    platform: Platform, new_user: Callable[[str], User]
) -> None:
    seller, buyer = new_user("Sally"), new_user("Bob")
    word = "walnut" + secrets.token_hex(3)
    product = create_product(platform.base_url, seller, f"{word.capitalize()} desk lamp")
    assert product["owner_id"] == seller.id

    order = place_order(platform.base_url, buyer, product["id"], quantity=2)
    assert order["buyer_id"] == buyer.id
    assert order["total_cents"] == 2 * product["price_cents"]
    stock = requests.get(f"{platform.base_url}/v1/products/{product['id']}", timeout=TIMEOUT)
    assert stock.json()["stock"] == product["stock"] - 2

    # core knows only the buyer's id; the name and email come from auth's GetUsers.
    described = get_order_over_grpc(platform, order["id"])
    assert (described.buyer_name, described.buyer_email) == (buyer.name, buyer.email)

    receipt = eventually(
        lambda: next(
            (m for m in read_emails(platform.outbox_dir) if order["id"] in str(m["Subject"])),
            None,
        ),
        "the order receipt email in FILE_DELIVERY_DIR/email",
    )
    assert receipt["To"] == buyer.email
    assert f"2 x {product['title']}" in text_body(receipt)

    hits = eventually(lambda: search_hits(platform, word), f"the product in search for {word!r}")
    assert [hit["id"] for hit in hits] == [product["id"]]


def test_signing_up_sends_the_welcome_email(
    platform: Platform, new_user: Callable[[str], User]
) -> None:
    user = new_user("Wendy")
    welcome = eventually(
        lambda: next((m for m in read_emails(platform.outbox_dir) if m["To"] == user.email), None),
        "the welcome email (auth.user.registered.v1 through the broker)",
    )
    assert "confirm your email" in str(welcome["Subject"]).lower()
    assert "/verify-email?token=" in text_body(welcome)
