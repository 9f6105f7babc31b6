"""Core's part of an account erasure (issue #14), with fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest

from keel_core.adapters.fake_media import FakeImageProcessor, FakeObjectStore
from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.actors import Actor
from keel_core.domain.commands import DeleteProduct, PlaceOrder
from keel_core.domain.events import ProductDeleted
from keel_core.domain.orders import RequestedItem
from keel_core.domain.products import ERASED_TITLE
from keel_core.service_layer import admin_listing, images, orders, privacy, products
from keel_events.core import ProductImageUploaded
from keel_events.privacy import CoreUserErased

STAFF = Actor(uuid4(), frozenset({"staff"}))


@pytest.fixture
def store() -> FakeObjectStore:
    return FakeObjectStore()


def _ready_image(
    uow: FakeUnitOfWork, store: FakeObjectStore, owner: Actor, product_id: Any, clock: Any
) -> None:
    state, ticket = images.request_upload(uow, store, owner, product_id, "image/jpeg", 6, clock)
    store.objects[ticket.url.removeprefix("fake://")] = b"IMG..."
    images.complete_upload(uow, store, owner, product_id, state.id, clock)
    event = next(e for e in reversed(uow.events) if isinstance(e, ProductImageUploaded))
    images.process_uploaded_image(uow, store, FakeImageProcessor(), event, clock)


def _order(uow: FakeUnitOfWork, who: Actor, product: Any, key: str, clock: Any) -> Any:
    return orders.place_order(uow, who, PlaceOrder((RequestedItem(product.id, 1),), key), clock)


def test_erasure_unlists_the_products_and_pseudonymizes_the_orders(
    uow: FakeUnitOfWork,
    store: FakeObjectStore,
    seller: Actor,
    buyer: Actor,
    listed: Callable[..., Any],
    clock: Callable[[], datetime],
) -> None:
    theirs = [listed(owner=seller), listed(owner=seller, title="Lamp")]
    others = listed(owner=buyer, title="Chair")
    order = _order(uow, seller, others, "key-1", clock)

    assert privacy.erase_user(uow, store, seller.user_id, clock) == (2, 1)

    live = {p.id for p in uow.committed_products.values() if not p.is_deleted}
    assert live == {others.id}
    deleted = {e.id for e in uow.events if isinstance(e, ProductDeleted)}
    assert deleted == {p.id for p in theirs}
    kept = uow.committed_orders[order.id]
    assert kept.buyer_id != seller.user_id and kept.total_cents == order.total_cents
    assert kept.lines[0].title == "Chair"  # another seller's words stay on the receipt
    assert isinstance(uow.events[-1], CoreUserErased)
    assert uow.events[-1].user_id == seller.user_id


def test_nothing_the_user_wrote_survives_on_the_rows_kept(
    uow: FakeUnitOfWork,
    store: FakeObjectStore,
    seller: Actor,
    buyer: Actor,
    listed: Callable[..., Any],
    clock: Callable[[], datetime],
) -> None:
    desk = listed(owner=seller, title="Noor's walnut desk", description="from my flat")
    gone = listed(owner=seller, title="Noor's old lamp", category="noor-lighting")
    hidden = listed(owner=seller, title="Noor's chair")
    _ready_image(uow, store, seller, desk.id, clock)
    _ready_image(uow, store, seller, gone.id, clock)
    sold = _order(uow, buyer, desk, "buyer-key", clock)
    bought = _order(uow, seller, listed(owner=buyer, title="Rug"), "noor@example.com", clock)
    products.delete_product(uow, seller, DeleteProduct(gone.id), clock)
    admin_listing.unlist_product(uow, STAFF, hidden.id, "Noor sells fakes", clock)
    assert store.objects

    assert privacy.erase_user(uow, store, seller.user_id, clock) == (3, 1)

    for product in (uow.committed_products[p.id] for p in (desk, gone, hidden)):
        assert (product.title, product.description, product.category) == (ERASED_TITLE, "", "")
        assert product.images == [] and product.unlisted_reason is None and product.is_deleted
        assert product.price_cents == desk.price_cents  # what accounting needs stays
    assert store.objects == {}  # the images' files too
    assert uow.committed_orders[sold.id].lines[0].title == ERASED_TITLE  # the buyer's copy
    assert uow.committed_orders[sold.id].lines[0].quantity == 1
    assert "noor" not in uow.committed_orders[bought.id].idempotency_key
    for event in uow.events:  # the outbox keeps published events a while: not theirs
        assert "Noor" not in event.model_dump_json(), event


def test_erasing_twice_changes_nothing_more_and_reports_again(
    uow: FakeUnitOfWork,
    store: FakeObjectStore,
    seller: Actor,
    listed: Callable[..., Any],
    clock: Callable[[], datetime],
) -> None:
    listed(owner=seller)
    assert privacy.erase_user(uow, store, seller.user_id, clock) == (1, 0)

    assert privacy.erase_user(uow, store, seller.user_id, clock) == (0, 0)
    # No new announcement; the first run's, published since, went with the ones that
    # mention the user. The report is made again.
    assert [type(e) for e in uow.events] == [CoreUserErased]
