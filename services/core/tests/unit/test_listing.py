from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from keel_common.pagination import Position, decode_cursor, encode_cursor
from keel_core.adapters.fakes import FakeUnitOfWork
from keel_core.domain.actors import Actor
from keel_core.domain.commands import DeleteProduct
from keel_core.domain.errors import InvalidInput
from keel_core.service_layer import products


def _all_pages(uow: FakeUnitOfWork, limit: int, **filters: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = products.list_products(uow, limit=limit, cursor=cursor, **filters)
        pages.append([p.title for p in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_pages_are_newest_first_and_end_with_no_cursor(
    uow: FakeUnitOfWork, listed: Callable[..., Any]
) -> None:
    for n in range(5):
        listed(title=f"p{n}")

    assert _all_pages(uow, limit=2) == [["p4", "p3"], ["p2", "p1"], ["p0"]]


def test_a_page_cursor_survives_inserts_and_deletes(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    made = [listed(title=f"p{n}") for n in range(4)]
    first = products.list_products(uow, limit=2)

    listed(title="newer")
    products.delete_product(uow, seller, DeleteProduct(made[3].id))
    second = products.list_products(uow, limit=2, cursor=first.next_cursor)

    assert [p.title for p in first.items] == ["p3", "p2"]
    assert [p.title for p in second.items] == ["p1", "p0"]


def test_filters_by_owner_and_category(
    uow: FakeUnitOfWork, buyer: Actor, listed: Callable[..., Any]
) -> None:
    listed(title="desk")
    listed(title="lamp", category="lighting")
    listed(owner=buyer, title="chair")

    assert _all_pages(uow, limit=10, category="lighting") == [["lamp"]]
    assert _all_pages(uow, limit=10, owner_id=buyer.user_id) == [["chair"]]


def test_deleted_products_are_not_listed(
    uow: FakeUnitOfWork, seller: Actor, listed: Callable[..., Any]
) -> None:
    gone = listed(title="gone")
    listed(title="kept")
    products.delete_product(uow, seller, DeleteProduct(gone.id))

    assert _all_pages(uow, limit=10) == [["kept"]]
    assert [p.title for p in products.iter_live_products(uow)] == ["kept"]


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_limit_out_of_range_is_invalid(uow: FakeUnitOfWork, limit: int) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        products.list_products(uow, limit=limit)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "",
        "bm90LWEtY3Vyc29y",
        encode_cursor(
            # naive: never issued by this API (a fixed id keeps test ids stable for xdist)
            Position(datetime(2025, 1, 1), UUID("5c9f9f13-20bf-4fca-ae16-ac1d4f0949de"))
        ),
    ],
)
def test_malformed_cursor_is_invalid(uow: FakeUnitOfWork, cursor: str) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        products.list_products(uow, cursor=cursor)


def test_cursor_round_trips() -> None:
    position = Position(datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC), uuid4())
    assert decode_cursor(encode_cursor(position)) == position


def test_iter_live_products_reads_every_batch(
    uow: FakeUnitOfWork, listed: Callable[..., Any]
) -> None:
    made = [listed(title=f"p{n}") for n in range(7)]

    streamed = list(products.iter_live_products(uow, batch_size=3))

    assert [p.id for p in streamed] == [p.id for p in reversed(made)]
