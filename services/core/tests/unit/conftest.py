from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.actors import Actor
from keel_core.domain.commands import CreateProduct
from keel_core.domain.products import ProductSnapshot
from keel_core.service_layer import products

START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """One second later on every call, so 'newest first' has a single right answer."""
    ticks = itertools.count()
    return lambda: START + timedelta(seconds=next(ticks))


@pytest.fixture
def seller() -> Actor:
    return Actor(uuid4())


@pytest.fixture
def buyer() -> Actor:
    return Actor(uuid4())


@pytest.fixture
def admin() -> Actor:
    return Actor(uuid4(), frozenset({"admin"}))


def product_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Walnut desk",
        "description": "Solid walnut, 140 cm",
        "price_cents": 45_000,
        "currency": "EUR",
        "category": "furniture",
        "stock": 3,
    }
    return fields | overrides


@pytest.fixture
def valid_fields() -> dict[str, Any]:
    return product_fields()


@pytest.fixture
def listed(
    uow: FakeUnitOfWork, seller: Actor, clock: Callable[[], datetime]
) -> Callable[..., ProductSnapshot]:
    """List a product for ``seller`` (or ``owner=``) with the given field overrides."""

    def _listed(owner: Actor | None = None, **overrides: Any) -> ProductSnapshot:
        command = CreateProduct(product_fields(**overrides))
        return products.create_product(uow, owner or seller, command, clock)

    return _listed
