"""Core's part of an account erasure (issue #14), with fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.actors import Actor
from keel_core.domain.commands import PlaceOrder
from keel_core.domain.events import ProductDeleted
from keel_core.domain.orders import RequestedItem
from keel_core.service_layer import orders, privacy
from keel_events.privacy import CoreUserErased


def test_erasure_unlists_the_products_and_pseudonymizes_the_orders(
    uow: FakeUnitOfWork,
    seller: Actor,
    buyer: Actor,
    listed: Callable[..., Any],
    clock: Callable[[], datetime],
) -> None:
    theirs = [listed(owner=seller), listed(owner=seller, title="Lamp")]
    others = listed(owner=buyer, title="Chair")
    order = orders.place_order(
        uow, seller, PlaceOrder((RequestedItem(others.id, 1),), "key-1"), clock
    )

    assert privacy.erase_user(uow, seller.user_id, clock) == (2, 1)

    live = {p.id for p in uow.committed_products.values() if not p.is_deleted}
    assert live == {others.id}
    deleted = {e.id for e in uow.events if isinstance(e, ProductDeleted)}
    assert deleted == {p.id for p in theirs}
    kept = uow.committed_orders[order.id]
    assert kept.buyer_id != seller.user_id and kept.total_cents == order.total_cents
    assert isinstance(uow.events[-1], CoreUserErased)
    assert uow.events[-1].user_id == seller.user_id


def test_erasing_twice_changes_nothing_more_and_reports_again(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any], clock: Callable[[], datetime]
) -> None:
    listed(owner=seller)
    privacy.erase_user(uow, seller.user_id, clock)
    before = len([e for e in uow.events if isinstance(e, ProductDeleted)])

    assert privacy.erase_user(uow, seller.user_id, clock) == (0, 0)
    assert len([e for e in uow.events if isinstance(e, ProductDeleted)]) == before
    assert sum(isinstance(e, CoreUserErased) for e in uow.events) == 2
