from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest

from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct, DeleteProduct, UpdateProduct
from keel_core.domain.errors import (
    Forbidden,
    InvalidInput,
    ProductNotFound,
    QuotaExceeded,
    StaleVersion,
)
from keel_core.domain.events import ProductCreated, ProductDeleted, ProductUpdated, product_event
from keel_core.service_layer import products


def test_create_product_stores_it_and_publishes_created(
    uow: FakeUnitOfWork, seller: Actor, valid_fields: dict[str, Any], clock: Callable[[], datetime]
) -> None:
    created = products.create_product(uow, seller, CreateProduct(valid_fields), clock)

    assert created.owner_id == seller.user_id
    assert created.version == 1
    assert products.get_product(uow, created.id) == created
    assert uow.events == [product_event(ProductCreated, created)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "   "),
        ("price_cents", 0),
        ("price_cents", -5),
        ("price_cents", True),
        ("currency", "EURO"),
        ("currency", "eur"),
        ("currency", "ZZZ"),
        ("stock", -1),
        ("title", "x" * 201),
    ],
)
def test_create_product_rejects_bad_fields(
    uow: FakeUnitOfWork, seller: Actor, valid_fields: dict[str, Any], field: str, value: object
) -> None:
    with pytest.raises(InvalidInput) as caught:
        products.create_product(uow, seller, CreateProduct(valid_fields | {field: value}))

    assert [e.field for e in caught.value.errors] == [field]
    assert uow.commits == 0 and uow.events == []


def test_create_product_rejects_unknown_and_missing_fields(
    uow: FakeUnitOfWork, seller: Actor, valid_fields: dict[str, Any]
) -> None:
    del valid_fields["stock"]
    with pytest.raises(InvalidInput, match="stock: is required"):
        products.create_product(uow, seller, CreateProduct(valid_fields))
    with pytest.raises(InvalidInput, match="colour: is not a product field"):
        fields = valid_fields | {"stock": 1, "colour": "red"}
        products.create_product(uow, seller, CreateProduct(fields))


def test_title_and_category_are_trimmed(
    uow: FakeUnitOfWork, seller: Actor, valid_fields: dict[str, Any]
) -> None:
    fields = valid_fields | {"title": "  Desk ", "category": " furniture "}
    created = products.create_product(uow, seller, CreateProduct(fields))
    assert (created.title, created.category) == ("Desk", "furniture")


def test_get_unknown_product_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(ProductNotFound):
        products.get_product(uow, uuid4())


def test_owner_updates_product_and_version_grows(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any], clock: Callable[[], datetime]
) -> None:
    product = listed()
    command = UpdateProduct(product.id, {"price_cents": 39_900}, expected_version=1)

    updated = products.update_product(uow, seller, command, clock)

    assert (updated.price_cents, updated.version) == (39_900, 2)
    assert updated.updated_at > product.updated_at
    assert products.get_product(uow, product.id) == updated
    assert uow.events[-1] == product_event(ProductUpdated, updated)


def test_update_without_a_real_change_keeps_the_version(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    product = listed()
    same = products.update_product(uow, seller, UpdateProduct(product.id, {"title": "Walnut desk"}))
    assert same.version == 1
    assert len(uow.events) == 1


def test_update_with_a_stale_version_conflicts_and_changes_nothing(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    product = listed()
    products.update_product(uow, seller, UpdateProduct(product.id, {"stock": 9}))

    with pytest.raises(StaleVersion):
        products.update_product(uow, seller, UpdateProduct(product.id, {"stock": 1}, 1))
    assert products.get_product(uow, product.id).stock == 9


def test_only_the_owner_may_update(
    uow: FakeUnitOfWork, buyer: Actor, admin: Actor, listed: Callable[..., Any]
) -> None:
    product = listed()
    for stranger in (buyer, admin):
        with pytest.raises(Forbidden):
            products.update_product(uow, stranger, UpdateProduct(product.id, {"title": "Mine"}))
    assert products.get_product(uow, product.id).title == "Walnut desk"


def test_update_rejects_invalid_changes(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    product = listed()
    with pytest.raises(InvalidInput):
        products.update_product(uow, seller, UpdateProduct(product.id, {"price_cents": 0}))


def test_owner_deletes_softly_and_publishes_deleted(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    product = listed()

    products.delete_product(uow, seller, DeleteProduct(product.id))

    with pytest.raises(ProductNotFound):
        products.get_product(uow, product.id)
    kept = uow.committed_products[product.id]
    assert kept.deleted_at is not None
    assert uow.events[-1] == product_event(ProductDeleted, kept.snapshot())
    assert uow.events[-1].version == 2


def test_admin_may_delete_but_a_stranger_may_not(
    uow: FakeUnitOfWork, buyer: Actor, admin: Actor, listed: Callable[..., Any]
) -> None:
    product = listed()
    with pytest.raises(Forbidden):
        products.delete_product(uow, buyer, DeleteProduct(product.id))
    products.delete_product(uow, admin, DeleteProduct(product.id))
    with pytest.raises(ProductNotFound):
        products.delete_product(uow, admin, DeleteProduct(product.id))


def test_deleted_product_cannot_be_updated(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    product = listed()
    products.delete_product(uow, seller, DeleteProduct(product.id))
    with pytest.raises(ProductNotFound):
        products.update_product(uow, seller, UpdateProduct(product.id, {"stock": 1}))


def test_one_owner_may_list_a_bounded_number_of_products(
    uow: FakeUnitOfWork,
    seller: Actor,
    buyer: Actor,
    valid_fields: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(products, "MAX_PRODUCTS_PER_OWNER", 2)
    first = products.create_product(uow, seller, CreateProduct(valid_fields))
    products.create_product(uow, seller, CreateProduct(valid_fields))

    with pytest.raises(QuotaExceeded):
        products.create_product(uow, seller, CreateProduct(valid_fields))
    products.create_product(uow, buyer, CreateProduct(valid_fields))  # another owner's quota
    products.delete_product(uow, seller, DeleteProduct(first.id))
    products.create_product(uow, seller, CreateProduct(valid_fields))  # deleted ones free a slot
