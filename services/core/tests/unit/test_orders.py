from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CancelOrder, CreateProduct, DeleteProduct, PlaceOrder
from keel_core.domain.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
    OrderNotCancellable,
    OrderNotFound,
    QuotaExceeded,
)
from keel_core.domain.events import OrderCancelled, OrderPlaced, ProductUpdated, order_event
from keel_core.domain.orders import RequestedItem
from keel_core.service_layer import orders, products


def order_of(*items: tuple[UUID, int], key: str = "key-1") -> PlaceOrder:
    return PlaceOrder(tuple(RequestedItem(pid, qty) for pid, qty in items), key)


def stock_of(uow: FakeUnitOfWork, product_id: UUID) -> int:
    return products.get_product(uow, product_id).stock


def test_place_order_takes_stock_and_totals_in_minor_units(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any], clock: Callable[[], datetime]
) -> None:
    desk = listed(price_cents=45_000, stock=3)
    lamp = listed(title="Lamp", price_cents=1_999, stock=10)

    order = orders.place_order(uow, buyer, order_of((desk.id, 2), (lamp.id, 3)), clock)

    assert order.status == "placed" and order.buyer_id == buyer.user_id
    assert order.total_cents == 2 * 45_000 + 3 * 1_999
    assert order.currency == "EUR"
    assert [(i.title, i.quantity, i.unit_price_cents) for i in order.items] == [
        ("Walnut desk", 2, 45_000),
        ("Lamp", 3, 1_999),
    ]
    assert (stock_of(uow, desk.id), stock_of(uow, lamp.id)) == (1, 7)
    assert orders.get_order(uow, buyer, order.id) == order


def test_place_order_publishes_placed_and_the_new_stock(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    desk = listed(stock=3)
    order = orders.place_order(uow, buyer, order_of((desk.id, 1)))

    updated, placed = uow.events[-2:]
    assert placed == order_event(OrderPlaced, order)
    assert isinstance(updated, ProductUpdated)
    assert (updated.stock, updated.version) == (2, 2)


def test_not_enough_stock_takes_nothing(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    plenty = listed(stock=10)
    scarce = listed(title="Rare", stock=1)

    with pytest.raises(InsufficientStock) as caught:
        orders.place_order(uow, buyer, order_of((plenty.id, 5), (scarce.id, 2)))

    assert (caught.value.requested, caught.value.available) == (2, 1)
    assert (stock_of(uow, plenty.id), stock_of(uow, scarce.id)) == (10, 1)
    assert not any(isinstance(e, OrderPlaced) for e in uow.events)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ((), "items: must not be empty"),
        (((0, 1), (0, 2)), "items.1.product_id: appears twice"),
        (((0, 0),), "items.0.quantity"),
    ],
)
def test_malformed_requests_are_invalid(
    uow: FakeUnitOfWork,
    buyer: Actor,
    listed: Callable[..., Any],
    items: tuple[tuple[int, int], ...],
    message: str,
) -> None:
    desk = listed()
    command = order_of(*((desk.id, qty) for _, qty in items))
    with pytest.raises(InvalidInput, match=message):
        orders.place_order(uow, buyer, command)
    assert stock_of(uow, desk.id) == 3


def test_mixed_currencies_are_invalid(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    eur, usd = listed(), listed(currency="USD")
    with pytest.raises(InvalidInput, match="mixes currencies EUR, USD"):
        orders.place_order(uow, buyer, order_of((eur.id, 1), (usd.id, 1)))


def test_buying_your_own_product_is_invalid(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    desk = listed()
    with pytest.raises(InvalidInput, match="own product"):
        orders.place_order(uow, seller, order_of((desk.id, 1)))


def test_unknown_or_deleted_products_are_invalid(
    uow: FakeUnitOfWork, seller: Actor, buyer: Actor, listed: Callable[..., Any]
) -> None:
    gone = listed()
    products.delete_product(uow, seller, DeleteProduct(gone.id))
    for product_id in (gone.id, uuid4()):
        with pytest.raises(InvalidInput, match=r"items\.0\.product_id: no such product"):
            orders.place_order(uow, buyer, order_of((product_id, 1)))


@pytest.mark.parametrize("key", ["", "k" * 256, "naïve", "tab\there"])
def test_bad_idempotency_keys_are_invalid(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any], key: str
) -> None:
    desk = listed()
    with pytest.raises(InvalidInput, match="Idempotency-Key"):
        orders.place_order(uow, buyer, order_of((desk.id, 1), key=key))


def test_same_key_and_body_returns_the_same_order_and_takes_stock_once(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    desk, lamp = listed(stock=5), listed(title="Lamp", stock=5)
    first = orders.place_order(uow, buyer, order_of((desk.id, 2), (lamp.id, 1)))
    again = orders.place_order(uow, buyer, order_of((lamp.id, 1), (desk.id, 2)))

    assert again == first
    assert stock_of(uow, desk.id) == 3
    assert sum(isinstance(e, OrderPlaced) for e in uow.events) == 1


def test_same_key_with_another_body_is_rejected(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    desk = listed(stock=5)
    orders.place_order(uow, buyer, order_of((desk.id, 1)))
    with pytest.raises(IdempotencyKeyReused):
        orders.place_order(uow, buyer, order_of((desk.id, 2)))
    assert stock_of(uow, desk.id) == 4


def test_keys_belong_to_one_buyer(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    desk = listed(stock=5)
    mine = orders.place_order(uow, buyer, order_of((desk.id, 1)))
    theirs = orders.place_order(uow, Actor(uuid4()), order_of((desk.id, 1)))
    assert mine.id != theirs.id
    assert stock_of(uow, desk.id) == 3


class LosingRaceUnitOfWork(FakeUnitOfWork):
    """Another request with the same key commits while ours is still working."""

    rival: Callable[[], None] | None = None

    def commit(self) -> None:
        rival, self.rival = self.rival, None
        if rival is not None:
            ours = (self.products, self.orders, self._pending)
            rival()
            self.products, self.orders, self._pending = ours
        super().commit()


def test_losing_an_idempotency_race_returns_the_winner_without_taking_stock(
    buyer: Actor, seller: Actor, valid_fields: dict[str, Any]
) -> None:
    uow = LosingRaceUnitOfWork()
    desk = products.create_product(uow, seller, CreateProduct(valid_fields | {"stock": 5}))
    winner: list[Any] = []
    uow.rival = lambda: winner.append(orders.place_order(uow, buyer, order_of((desk.id, 1))))

    answer = orders.place_order(uow, buyer, order_of((desk.id, 1)))

    assert answer == winner[0]
    assert stock_of(uow, desk.id) == 4
    assert sum(isinstance(e, OrderPlaced) for e in uow.events) == 1


def test_orders_are_visible_to_their_buyer_and_admins_only(
    uow: FakeUnitOfWork, buyer: Actor, seller: Actor, admin: Actor, listed: Callable[..., Any]
) -> None:
    order = orders.place_order(uow, buyer, order_of((listed().id, 1)))

    assert orders.get_order(uow, admin, order.id) == order
    for stranger in (seller, Actor(uuid4())):
        with pytest.raises(OrderNotFound):
            orders.get_order(uow, stranger, order.id)
    with pytest.raises(OrderNotFound):
        orders.get_order(uow, buyer, uuid4())


def test_list_orders_shows_only_the_callers_newest_first(
    uow: FakeUnitOfWork,
    buyer: Actor,
    listed: Callable[..., Any],
    clock: Callable[[], datetime],
) -> None:
    desk = listed(stock=10)
    mine = [
        orders.place_order(uow, buyer, order_of((desk.id, 1), key=f"k{n}"), clock) for n in range(3)
    ]
    orders.place_order(uow, Actor(uuid4()), order_of((desk.id, 1)), clock)

    first = orders.list_orders(uow, buyer, limit=2)
    second = orders.list_orders(uow, buyer, limit=2, cursor=first.next_cursor)

    assert [o.id for o in first.items + second.items] == [o.id for o in reversed(mine)]
    assert second.next_cursor is None


def test_cancel_returns_stock_and_publishes_cancelled(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any], clock: Callable[[], datetime]
) -> None:
    desk = listed(stock=3)
    order = orders.place_order(uow, buyer, order_of((desk.id, 2)), clock)

    cancelled = orders.cancel_order(uow, buyer, CancelOrder(order.id), clock)

    assert cancelled.status == "cancelled"
    assert stock_of(uow, desk.id) == 3
    assert uow.events[-1] == order_event(OrderCancelled, cancelled)
    assert isinstance(uow.events[-2], ProductUpdated) and uow.events[-2].stock == 3
    assert orders.get_order(uow, buyer, order.id).status == "cancelled"


def test_an_order_cancels_only_once(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    desk = listed(stock=3)
    order = orders.place_order(uow, buyer, order_of((desk.id, 2)))
    orders.cancel_order(uow, buyer, CancelOrder(order.id))

    with pytest.raises(OrderNotCancellable):
        orders.cancel_order(uow, buyer, CancelOrder(order.id))
    assert stock_of(uow, desk.id) == 3


def test_only_the_buyer_cancels(
    uow: FakeUnitOfWork, buyer: Actor, seller: Actor, admin: Actor, listed: Callable[..., Any]
) -> None:
    desk = listed(stock=3)
    order = orders.place_order(uow, buyer, order_of((desk.id, 1)))

    with pytest.raises(OrderNotFound):
        orders.cancel_order(uow, seller, CancelOrder(order.id))
    with pytest.raises(Forbidden):
        orders.cancel_order(uow, admin, CancelOrder(order.id))
    assert orders.get_order(uow, buyer, order.id).status == "placed"


def test_cancel_gives_no_stock_back_to_a_deleted_product(
    uow: FakeUnitOfWork, buyer: Actor, seller: Actor, listed: Callable[..., Any]
) -> None:
    desk = listed(stock=3)
    order = orders.place_order(uow, buyer, order_of((desk.id, 1)))
    products.delete_product(uow, seller, DeleteProduct(desk.id))

    orders.cancel_order(uow, buyer, CancelOrder(order.id))

    assert uow.committed_products[desk.id].stock == 2
    assert not isinstance(uow.events[-2], ProductUpdated)


def test_one_buyer_may_place_a_bounded_number_of_orders_a_day(
    uow: FakeUnitOfWork,
    buyer: Actor,
    listed: Callable[..., Any],
    clock: Callable[[], datetime],
) -> None:
    desk = listed(stock=10)
    orders.place_order(uow, buyer, order_of((desk.id, 1), key="k1"), clock, daily_quota=2)
    orders.place_order(uow, buyer, order_of((desk.id, 1), key="k2"), clock, daily_quota=2)

    with pytest.raises(QuotaExceeded):
        orders.place_order(uow, buyer, order_of((desk.id, 1), key="k3"), clock, daily_quota=2)
    assert stock_of(uow, desk.id) == 8
    # a replay of an order already placed is not a new order
    assert orders.place_order(uow, buyer, order_of((desk.id, 1), key="k2"), clock, daily_quota=2)
