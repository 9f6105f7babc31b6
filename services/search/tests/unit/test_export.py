"""Search's part of a data export (issue #14), with fakes: the user's indexed products."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

from keel_search.adapters.fakes import FakeSearchIndex
from keel_search.domain.products import ProductDocument
from keel_search.service_layer import export


def test_export_lists_the_users_products_only(
    make_product: Callable[..., ProductDocument],
) -> None:
    index, owner = FakeSearchIndex(), uuid4()
    mine = [make_product(owner_id=owner) for _ in range(2)]
    index.apply([*mine, make_product()])

    document = export.export_user(index, owner)

    assert {p["id"] for p in document["products"]} == {d.id for d in mine}
