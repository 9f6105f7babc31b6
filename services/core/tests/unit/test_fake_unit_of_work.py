"""The fake unit of work behaves like the database's transactions the use cases rely on."""

from __future__ import annotations

from uuid import uuid4

from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.events import ProductCreated, product_event
from keel_core.domain.products import Product

from .conftest import START, product_fields


def _product() -> Product:
    return Product.list_for_sale(uuid4(), product_fields(), START)


def test_work_left_without_commit_leaves_no_trace(uow: FakeUnitOfWork) -> None:
    product = _product()
    with uow:
        uow.products.add(product)
        uow.publish(product_event(ProductCreated, product.snapshot()))

    with uow:
        assert uow.products.get(product.id) is None
    assert uow.events == [] and uow.commits == 0


def test_rollback_discards_changes_made_after_entering(uow: FakeUnitOfWork) -> None:
    product = _product()
    with uow:
        uow.products.add(product)
        uow.commit()

    with uow:
        uow.products.get_for_update([product.id])[0].delete(START)
        uow.rollback()
        assert uow.products.get(product.id) is not None


def test_a_block_works_on_a_copy_of_the_committed_state(uow: FakeUnitOfWork) -> None:
    product = _product()
    with uow:
        uow.products.add(product)
        uow.commit()

    with uow:
        uow.products.get_for_update([product.id])[0].take_stock(1, START)
        assert uow.committed_products[product.id].stock == product.stock
