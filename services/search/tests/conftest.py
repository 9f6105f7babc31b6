"""Fixtures every layer of the search tests shares."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from keel_common.messaging import Envelope
from keel_events.core import ProductCreated, ProductDeleted, ProductUpdated
from keel_search.domain.products import ProductDocument

START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """One second later on every call."""
    ticks = itertools.count()
    return lambda: START + timedelta(seconds=next(ticks))


@pytest.fixture
def make_product() -> Callable[..., ProductDocument]:
    """A product document; keyword arguments override any field."""

    def make(**fields: Any) -> ProductDocument:
        values: dict[str, Any] = {
            "id": uuid4(),
            "title": "Wireless headphones",
            "description": "Over-ear, noise cancelling",
            "category": "audio",
            "price_cents": 9999,
            "currency": "EUR",
            "owner_id": uuid4(),
            "created_at": START,
            "updated_at": START,
            "version": 1,
        }
        values.update(fields)
        return ProductDocument(**values)

    return make


@pytest.fixture
def product_event() -> Callable[..., Envelope]:
    """The envelope core publishes about ``product`` (kind: created, updated or deleted),
    serialized by the contract itself; ``overrides`` replace fields of its data."""
    contracts = {"created": ProductCreated, "updated": ProductUpdated, "deleted": ProductDeleted}

    def make(kind: str, product: ProductDocument, **overrides: Any) -> Envelope:
        deleted_at = datetime.now(UTC) if kind == "deleted" else None
        event = contracts[kind](**vars(product), stock=1, deleted_at=deleted_at)
        data = event.to_data() | overrides
        return Envelope.new(event.type, "keel-core", data, subject=event.subject)

    return make
