from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from keel_core.adapters.fakes import FakeUnitOfWork, FakeUserDirectory
from keel_core.domain.actors import Actor
from keel_core.domain.commands import PlaceOrder
from keel_core.domain.errors import OrderNotFound
from keel_core.domain.orders import RequestedItem
from keel_core.service_layer import orders
from keel_core.service_layer.ports import UserSummary


def _place(uow: FakeUnitOfWork, who: Actor, product_id: Any, key: str) -> Any:
    return orders.place_order(uow, who, PlaceOrder((RequestedItem(product_id, 1),), key))


def test_buyers_come_from_one_batch_call(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    other = Actor(uuid4())
    desk = listed(stock=10)
    placed = [_place(uow, buyer, desk.id, "a"), _place(uow, buyer, desk.id, "b")]
    placed.append(_place(uow, other, desk.id, "a"))
    users = FakeUserDirectory(
        [
            UserSummary(buyer.user_id, "Ada", "ada@example.com"),
            UserSummary(other.user_id, "Bo", "bo@example.com"),
        ]
    )

    described = orders.describe_orders(uow, users, [o.id for o in placed])

    assert users.calls == [{buyer.user_id, other.user_id}]
    assert [(d.order, d.buyer and d.buyer.name) for d in described] == [
        (placed[0], "Ada"),
        (placed[1], "Ada"),
        (placed[2], "Bo"),
    ]


def test_a_buyer_auth_does_not_know_is_left_empty(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    order = _place(uow, buyer, listed().id, "a")
    described = orders.describe_order(uow, FakeUserDirectory(), order.id)
    assert (described.order, described.buyer) == (order, None)


def test_describing_an_unknown_order_asks_auth_nothing(uow: FakeUnitOfWork) -> None:
    users = FakeUserDirectory()
    with pytest.raises(OrderNotFound):
        orders.describe_order(uow, users, uuid4())
    assert users.calls == []
