"""Who may read an unlisted product: its seller and staff (with the moderator's reason);
to anyone else it is a deleted product. The same rule on a cache hit as on a database read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from keel_common.cache import InMemoryStore
from keel_common.second_factor import SecondFactorRequired
from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.adapters.product_cache import GenerationalProductCache
from keel_core.domain.actors import Actor
from keel_core.domain.commands import DeleteProduct
from keel_core.domain.errors import ProductNotFound
from keel_core.domain.products import ProductSnapshot
from keel_core.service_layer import admin_listing, products

STAFF = Actor(uuid4(), frozenset({"staff"}))
REASON = "counterfeit report 7"


@pytest.fixture(params=["no cache", "cache"])
def any_uow(request: pytest.FixtureRequest, uow: FakeUnitOfWork) -> FakeUnitOfWork:
    if request.param == "cache":
        uow.product_cache = GenerationalProductCache(InMemoryStore())
    return uow


def _render(product: ProductSnapshot) -> bytes:
    return f"{product.title}|{product.listed}|{product.unlisted_reason}".encode()


def _read(uow: FakeUnitOfWork, product: ProductSnapshot, who: Actor | None) -> bytes:
    return products.get_product_document(uow, product.id, _render, lambda: who).body


def _unlisted(uow: FakeUnitOfWork, listed: Callable[..., ProductSnapshot]) -> ProductSnapshot:
    desk = listed()
    for _ in range(2):  # warm every cached copy while it is public: the unlist must drop them
        products.get_product(uow, desk.id)
        _read(uow, desk, None)
    return admin_listing.unlist_product(uow, STAFF, desk.id, REASON)


@pytest.mark.parametrize("who", [None, Actor(uuid4()), Actor(uuid4(), frozenset({"user"}))])
def test_anyone_but_seller_and_staff_gets_not_found(
    any_uow: FakeUnitOfWork, listed: Callable[..., Any], who: Actor | None
) -> None:
    desk = _unlisted(any_uow, listed)
    for _ in range(2):  # the second read could be a cache hit: it must not be one
        with pytest.raises(ProductNotFound):
            _read(any_uow, desk, who)
        with pytest.raises(ProductNotFound):
            products.get_product(any_uow, desk.id, lambda: who)


def test_seller_and_staff_see_it_unlisted_with_the_reason(
    any_uow: FakeUnitOfWork, listed: Callable[..., Any], seller: Actor, admin: Actor
) -> None:
    desk = _unlisted(any_uow, listed)
    for who in (seller, STAFF, admin, seller):
        assert _read(any_uow, desk, who) == f"Walnut desk|False|{REASON}".encode()
    # The seller's rendering (with the reason) is never stored for the next, anonymous reader.
    with pytest.raises(ProductNotFound):
        _read(any_uow, desk, None)


def test_staff_without_the_required_second_factor_is_refused(
    any_uow: FakeUnitOfWork, listed: Callable[..., Any]
) -> None:
    desk = _unlisted(any_uow, listed)
    single_factor = Actor(uuid4(), frozenset({"staff"}), mfa_roles=frozenset({"staff"}))
    with pytest.raises(SecondFactorRequired):
        _read(any_uow, desk, single_factor)


def test_a_listed_product_never_asks_who_is_reading(
    any_uow: FakeUnitOfWork, listed: Callable[..., Any]
) -> None:
    desk = listed()

    def nobody_asks() -> Actor | None:
        raise AssertionError("the anonymous hot path must not resolve the caller")

    for _ in range(2):
        assert _read(any_uow, desk, None) == b"Walnut desk|True|None"
        assert products.get_product_document(any_uow, desk.id, _render, nobody_asks)


def test_relisted_is_public_again_and_deleted_is_gone_even_for_its_seller(
    any_uow: FakeUnitOfWork, listed: Callable[..., Any], seller: Actor
) -> None:
    desk = _unlisted(any_uow, listed)
    admin_listing.relist_product(any_uow, STAFF, desk.id, "cleared")
    assert _read(any_uow, desk, None) == b"Walnut desk|True|None"

    products.delete_product(any_uow, seller, DeleteProduct(desk.id))
    with pytest.raises(ProductNotFound):
        _read(any_uow, desk, seller)
