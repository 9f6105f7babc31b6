from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CancelOrder, DeleteProduct, PlaceOrder, UpdateProduct
from keel_core.domain.errors import InvalidInput
from keel_core.domain.orders import RequestedItem
from keel_core.service_layer import orders, products
from keel_core.service_layer.purchase_history import MAX_BUYERS, list_purchase_history

from .conftest import START

Clock = Callable[[], datetime]


def buy(uow: FakeUnitOfWork, who: Actor, clock: Clock, *items: tuple[UUID, int]) -> Any:
    command = PlaceOrder(tuple(RequestedItem(p, q) for p, q in items), str(uuid4()))
    return orders.place_order(uow, who, command, clock)


def summary(uow: FakeUnitOfWork, buyers: list[UUID], since: datetime = START) -> list[Any]:
    return [
        (h.buyer_id, [(p.title, p.quantity, p.last_purchased_at) for p in h.products])
        for h in list_purchase_history(uow, buyers, since)
    ]


def test_quantities_add_up_per_product_with_the_last_purchase_time(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any], clock: Clock
) -> None:
    tea, cups = listed(title="Tea", stock=50), listed(title="Cups", stock=50)
    first = buy(uow, buyer, clock, (tea.id, 2), (cups.id, 1))
    second = buy(uow, buyer, clock, (tea.id, 3))

    assert summary(uow, [buyer.user_id]) == [
        (buyer.user_id, [("Tea", 5, second.created_at), ("Cups", 1, first.created_at)])
    ]


def test_cancelled_orders_do_not_count(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any], clock: Clock
) -> None:
    tea = listed(title="Tea", stock=50)
    kept = buy(uow, buyer, clock, (tea.id, 1))
    dropped = buy(uow, buyer, clock, (tea.id, 4))
    orders.cancel_order(uow, buyer, CancelOrder(dropped.id), clock)

    assert summary(uow, [buyer.user_id]) == [(buyer.user_id, [("Tea", 1, kept.created_at)])]


def test_orders_before_since_do_not_count_and_one_placed_at_since_does(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any], clock: Clock
) -> None:
    tea = listed(title="Tea", stock=50)
    buy(uow, buyer, clock, (tea.id, 7))
    at_since = buy(uow, buyer, clock, (tea.id, 2))

    found = summary(uow, [buyer.user_id], since=at_since.created_at)

    assert found == [(buyer.user_id, [("Tea", 2, at_since.created_at)])]
    later = at_since.created_at + timedelta(microseconds=1)
    assert summary(uow, [buyer.user_id], since=later) == []


def test_products_no_longer_for_sale_are_left_out_and_titles_are_current(
    uow: FakeUnitOfWork, seller: Actor, buyer: Actor, listed: Callable[..., Any], clock: Clock
) -> None:
    tea, gone = listed(title="Tea", stock=50), listed(title="Gone", stock=50)
    placed = buy(uow, buyer, clock, (tea.id, 1), (gone.id, 1))
    products.update_product(uow, seller, UpdateProduct(tea.id, {"title": "Green tea"}), clock)
    products.delete_product(uow, seller, DeleteProduct(gone.id), clock)

    assert summary(uow, [buyer.user_id]) == [(buyer.user_id, [("Green tea", 1, placed.created_at)])]


def test_buyers_come_back_in_the_order_asked_and_those_without_purchases_are_left_out(
    uow: FakeUnitOfWork, listed: Callable[..., Any], clock: Clock
) -> None:
    tea = listed(title="Tea", stock=50)
    ada, bob, idle = Actor(uuid4()), Actor(uuid4()), Actor(uuid4())
    buy(uow, ada, clock, (tea.id, 1))
    buy(uow, bob, clock, (tea.id, 2))

    found = list_purchase_history(uow, [bob.user_id, idle.user_id, ada.user_id, bob.user_id], START)

    assert [h.buyer_id for h in found] == [bob.user_id, ada.user_id]
    assert [p.quantity for h in found for p in h.products] == [2, 1]


def test_another_buyers_orders_are_not_counted(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any], clock: Clock
) -> None:
    tea = listed(title="Tea", stock=50)
    buy(uow, Actor(uuid4()), clock, (tea.id, 9))
    assert summary(uow, [buyer.user_id]) == []


def test_at_most_max_buyers_per_call(uow: FakeUnitOfWork) -> None:
    assert list_purchase_history(uow, [uuid4() for _ in range(MAX_BUYERS)], START) == []
    with pytest.raises(InvalidInput, match="buyer_ids"):
        list_purchase_history(uow, [uuid4() for _ in range(MAX_BUYERS + 1)], START)
