"""Core's real use cases produce its product and order events; search's and notification's
real handlers take them as core serialized them into its outbox."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from keel_auth.bootstrap import Auth
from keel_common.messaging import Envelope
from keel_common.service import ServiceDeclaration
from keel_common.testing import eventually
from keel_core.bootstrap import DECLARATION as CORE
from keel_core.bootstrap import Core
from keel_core.domain.actors import Actor
from keel_core.domain.commands import (
    CancelOrder,
    CreateProduct,
    DeleteProduct,
    PlaceOrder,
    UpdateProduct,
)
from keel_core.domain.orders import RequestedItem
from keel_core.service_layer import orders, products
from keel_events.auth import UserRegistered
from keel_events.core import OrderCancelled, OrderPlaced
from keel_notification.bootstrap import DECLARATION as NOTIFICATION
from keel_notification.bootstrap import Notifications
from keel_notification.domain.model import Status
from keel_search.bootstrap import DECLARATION as SEARCH
from keel_search.bootstrap import Search
from keel_search.domain.queries import SearchQuery
from keel_search.service_layer.searching import search_products

from .conftest import EMAIL, deliveries, message_text, only, outbox_envelopes, sign_up

SELLER = Actor(uuid.uuid4())
DESK = {
    "title": "Walnut desk",
    "description": "Solid wood, 140 cm",
    "price_cents": 45_000,
    "currency": "EUR",
    "category": "furniture",
    "stock": 3,
}


def list_a_desk(core: Core) -> uuid.UUID:
    return products.create_product(core.uow(), SELLER, CreateProduct(DESK), core.clock).id


def rename(core: Core, product_id: uuid.UUID, title: str) -> None:
    products.update_product(core.uow(), SELLER, UpdateProduct(product_id, {"title": title}))


def delete(core: Core, product_id: uuid.UUID) -> None:
    products.delete_product(core.uow(), SELLER, DeleteProduct(product_id))


def buy_and_cancel(core: Core, buyer: uuid.UUID, product_id: uuid.UUID) -> uuid.UUID:
    actor = Actor(buyer)
    placed = orders.place_order(
        core.uow(), actor, PlaceOrder((RequestedItem(product_id, 2),), idempotency_key="k-1")
    )
    orders.cancel_order(core.uow(), actor, CancelOrder(placed.id))
    return placed.id


def feed(
    consume: Any, declaration: ServiceDeclaration[Any], envelopes: list[Envelope]
) -> list[str]:
    """Every envelope the consumer's queues take, in outbox order; the types it handled."""
    handled = []
    for envelope in envelopes:
        if consume.takes(envelope.type):
            assert consume(envelope) is None, f"{declaration.name} skipped {envelope.type}"
            handled.append(envelope.type)
    return handled


def core_types_consumed() -> set[str]:
    return {
        event.type
        for declaration in (SEARCH, NOTIFICATION)
        for subscription in declaration.consumes
        for event in subscription.events
        if event.producer == "core"
    }


def test_the_use_cases_publish_every_core_event_a_service_consumes(core: Core) -> None:
    desk = list_a_desk(core)
    rename(core, desk, "Oak desk")
    buy_and_cancel(core, uuid.uuid4(), desk)
    delete(core, desk)

    envelopes = outbox_envelopes(core)

    assert core_types_consumed() <= {e.type for e in envelopes}
    assert core_types_consumed() <= CORE.published_types
    assert {e.source for e in envelopes} == {"keel-core"}


def found(search: Search, text: str) -> list[tuple[uuid.UUID, str, int]]:
    result = search_products(SearchQuery.parse(text=text), search.index)
    return [(h.product.id, h.product.title, h.product.version) for h in result.hits]


def test_a_listed_and_renamed_product_becomes_searchable(
    core: Core, search: Search, consumer: Any
) -> None:
    desk = list_a_desk(core)
    rename(core, desk, "Oak desk")

    handled = feed(consumer(SEARCH, search), SEARCH, outbox_envelopes(core))

    assert handled == ["core.product.created.v1", "core.product.updated.v1"]
    expected = [(desk, "Oak desk", 2)]
    assert eventually(lambda: found(search, "oak") == expected, "the renamed desk")
    assert found(search, "walnut") == []


def test_a_deleted_product_disappears_from_search(
    core: Core, search: Search, consumer: Any
) -> None:
    consume = consumer(SEARCH, search)
    desk = list_a_desk(core)
    feed(consume, SEARCH, outbox_envelopes(core))
    eventually(lambda: found(search, "walnut"), "the listed desk")
    delete(core, desk)

    handled = feed(consume, SEARCH, outbox_envelopes(core)[1:])

    assert handled == ["core.product.deleted.v1"]
    assert eventually(lambda: found(search, "walnut") == [], "the desk gone")


def test_an_order_changes_stock_search_takes(core: Core, search: Search, consumer: Any) -> None:
    desk = list_a_desk(core)
    buy_and_cancel(core, uuid.uuid4(), desk)

    handled = feed(consumer(SEARCH, search), SEARCH, outbox_envelopes(core))

    # listed, stock taken by the order, stock put back by the cancellation
    assert handled == ["core.product.created.v1", *["core.product.updated.v1"] * 2]
    assert eventually(lambda: found(search, "walnut") == [(desk, "Walnut desk", 3)], "the desk")


@pytest.fixture
def buyer(auth: Auth, notification: Notifications, consumer: Any) -> uuid.UUID:
    """A user who signed up with auth; notification learnt their address from the event."""
    user_id = sign_up(auth)
    registered = only(outbox_envelopes(auth), UserRegistered.type)
    assert consumer(NOTIFICATION, notification)(registered) is None
    return user_id


@pytest.mark.parametrize(
    ("event_type", "template"),
    [(OrderPlaced.type, "order_receipt"), (OrderCancelled.type, "order_cancelled")],
)
def test_the_buyer_is_emailed_about_the_order(
    event_type: str,
    template: str,
    core: Core,
    notification: Notifications,
    buyer: uuid.UUID,
    consumer: Any,
) -> None:
    order_id = buy_and_cancel(core, buyer, list_a_desk(core))
    envelope = only(outbox_envelopes(core), event_type)

    assert consumer(NOTIFICATION, notification)(envelope) is None

    [delivery] = deliveries(notification, envelope)
    assert (delivery.channel, delivery.template, delivery.recipient, delivery.status) == (
        "email",
        template,
        EMAIL,
        Status.SENT,
    )
    # the order's id and its total (two desks at 450.00) reached the email
    text = message_text(delivery.path)
    assert str(order_id) in text and "900.00" in text
