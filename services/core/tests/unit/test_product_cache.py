"""The product read cache through the use cases: read-through, invalidation by the write that
stages the product's event, the fill race, and a store outage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from keel_common.cache import InMemoryStore
from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.adapters.metrics import PRODUCT_CACHE_READS
from keel_core.adapters.product_cache import GenerationalProductCache
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct, DeleteProduct, PlaceOrder, UpdateProduct
from keel_core.domain.errors import ProductNotFound
from keel_core.domain.orders import RequestedItem
from keel_core.domain.products import ProductSnapshot
from keel_core.service_layer import orders, products


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def cached_uow(uow: FakeUnitOfWork, store: InMemoryStore) -> FakeUnitOfWork:
    uow.product_cache = GenerationalProductCache(store)
    return uow


@pytest.fixture
def desk(
    cached_uow: FakeUnitOfWork, seller: Actor, valid_fields: dict[str, Any], clock: Any
) -> ProductSnapshot:
    return products.create_product(cached_uow, seller, CreateProduct(valid_fields), clock)


def _behind_the_cache(uow: FakeUnitOfWork, product: ProductSnapshot, title: str) -> None:
    """Change the stored row without a use case (so without invalidation)."""
    uow.committed_products[product.id].title = title


def _reads(kind: str, result: str) -> float:
    return PRODUCT_CACHE_READS.labels(kind, result)._value.get()


def test_a_second_read_is_served_from_the_cache(
    cached_uow: FakeUnitOfWork, desk: ProductSnapshot
) -> None:
    hits = _reads("product", "hit")
    assert products.get_product(cached_uow, desk.id) == desk
    _behind_the_cache(cached_uow, desk, title="changed behind the cache's back")

    assert products.get_product(cached_uow, desk.id) == desk
    assert _reads("product", "hit") == hits + 1


def test_update_delete_and_order_invalidate_the_product(
    cached_uow: FakeUnitOfWork, desk: ProductSnapshot, seller: Actor, buyer: Actor, clock: Any
) -> None:
    products.get_product(cached_uow, desk.id)
    updated = products.update_product(
        cached_uow, seller, UpdateProduct(desk.id, {"title": "Oak desk"}, None), clock
    )
    assert products.get_product(cached_uow, desk.id) == updated

    order = PlaceOrder((RequestedItem(desk.id, 2),), "key-1")
    orders.place_order(cached_uow, buyer, order, clock)
    assert products.get_product(cached_uow, desk.id).stock == desk.stock - 2

    products.delete_product(cached_uow, seller, DeleteProduct(desk.id), clock)
    with pytest.raises(ProductNotFound):
        products.get_product(cached_uow, desk.id)


def test_a_fill_from_a_read_older_than_a_write_is_never_served(
    cached_uow: FakeUnitOfWork, desk: ProductSnapshot, seller: Actor, clock: Any
) -> None:
    cache = cached_uow.product_cache
    slow_reader = cache.product(desk.id)  # a miss: the reader then reads the old row ...
    assert not slow_reader.hit
    updated = products.update_product(
        cached_uow, seller, UpdateProduct(desk.id, {"title": "Oak desk"}, None), clock
    )
    cache.fill_product(slow_reader, desk)  # ... and fills it after the write committed

    assert products.get_product(cached_uow, desk.id) == updated


def test_the_first_page_is_cached_and_a_new_product_invalidates_it(
    cached_uow: FakeUnitOfWork,
    desk: ProductSnapshot,
    seller: Actor,
    valid_fields: dict[str, Any],
    clock: Callable[[], datetime],
) -> None:
    assert [p.id for p in products.list_products(cached_uow, limit=20).items] == [desk.id]
    hits = _reads("first_page", "hit")
    assert [p.id for p in products.list_products(cached_uow, limit=20).items] == [desk.id]
    assert _reads("first_page", "hit") == hits + 1

    lamp = products.create_product(cached_uow, seller, CreateProduct(valid_fields), clock)
    assert [p.id for p in products.list_products(cached_uow, limit=20).items] == [lamp.id, desk.id]


def test_an_unreachable_store_degrades_to_the_database(
    cached_uow: FakeUnitOfWork, store: InMemoryStore, desk: ProductSnapshot, seller: Actor,
    clock: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    products.get_product(cached_uow, desk.id)  # cached
    store.down = True
    updated = products.update_product(
        cached_uow, seller, UpdateProduct(desk.id, {"title": "Oak desk"}, None), clock
    )  # the invalidation is lost ...
    assert products.get_product(cached_uow, desk.id) == updated
    assert products.list_products(cached_uow).items == [updated]

    store.down = False
    monkeypatch.setattr("keel_common.cache.generations.RETRY_AFTER", 0.0)
    cached_uow.product_cache._cache._retry_at = 0.0  # type: ignore[attr-defined]
    # ... and replayed before the store is trusted again: the old title is never served.
    assert products.get_product(cached_uow, desk.id) == updated


def test_the_rendered_body_is_served_on_a_hit_and_dropped_by_a_write(
    cached_uow: FakeUnitOfWork, desk: ProductSnapshot, seller: Actor, clock: Any
) -> None:
    renders: list[int] = []

    def render(product: ProductSnapshot) -> bytes:
        renders.append(product.version)
        return f"{product.title}@{product.version}".encode()

    first = products.get_product_document(cached_uow, desk.id, render)
    assert products.get_product_document(cached_uow, desk.id, render) == first
    assert renders == [desk.version]  # the second read was the stored bytes

    updated = products.update_product(
        cached_uow, seller, UpdateProduct(desk.id, {"title": "Oak desk"}, None), clock
    )
    document = products.get_product_document(cached_uow, desk.id, render)
    assert (document.version, document.body) == (updated.version, b"Oak desk@2")
    page = products.first_page_document(cached_uow, 20, lambda p: str(len(p.items)).encode())
    assert page == b"1"
    products.delete_product(cached_uow, seller, DeleteProduct(desk.id), clock)
    assert (
        products.first_page_document(cached_uow, 20, lambda p: str(len(p.items)).encode()) == b"0"
    )
