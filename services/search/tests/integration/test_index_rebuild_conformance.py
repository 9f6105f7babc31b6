"""The rebuild contract every search engine keeps: the new index replaces the old one
atomically, search serves the old one until then, and no change applied meanwhile is lost."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keel_search.domain.errors import RebuildInProgress
from keel_search.domain.products import ProductDocument, ProductTombstone
from keel_search.domain.queries import SearchQuery
from keel_search.service_layer.ports import SearchIndex

MakeProduct = Callable[..., ProductDocument]


def titles(engine: SearchIndex, text: str) -> list[str]:
    return [hit.product.title for hit in engine.search(SearchQuery.parse(text=text)).hits]


def test_a_rebuild_swaps_in_the_catalogue(engine: SearchIndex, make_product: MakeProduct) -> None:
    gone = make_product(title="Discontinued lamp")
    engine.apply([gone])
    builder = engine.start_rebuild()
    builder.add([make_product(title=f"Lamp {n}") for n in range(3)])
    assert titles(engine, "discontinued") == ["Discontinued lamp"]  # still serving the old one
    assert builder.finish() == 3
    assert titles(engine, "discontinued") == []
    assert engine.document_count() == 3


def test_changes_during_a_rebuild_reach_the_new_index(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    kept, updated, deleted = (make_product(title=f"Lamp {n}") for n in "abc")
    engine.apply([kept, updated, deleted])
    builder = engine.start_rebuild()
    builder.add([kept, updated, deleted])  # the catalogue as streamed before the changes below
    created = make_product(title="Lamp d")
    engine.apply(
        [
            make_product(id=updated.id, title="Lamp b2", version=2),
            ProductTombstone(deleted.id, 2, deleted.created_at),
            created,
        ]
    )
    builder.finish()
    assert sorted(titles(engine, "lamp")) == ["Lamp a", "Lamp b2", "Lamp d"]
    engine.apply([make_product(id=kept.id, title="Lamp a2", version=2)])
    assert sorted(titles(engine, "lamp")) == ["Lamp a2", "Lamp b2", "Lamp d"]


def test_one_rebuild_at_a_time(engine: SearchIndex) -> None:
    builder = engine.start_rebuild()
    with pytest.raises(RebuildInProgress):
        engine.start_rebuild()
    builder.abort()
    engine.start_rebuild().abort()


def test_an_aborted_rebuild_leaves_the_live_index(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply([make_product(title="Brass lamp")])
    builder = engine.start_rebuild()
    builder.add([make_product(title="Copper lamp")])
    builder.abort()
    assert titles(engine, "lamp") == ["Brass lamp"]
    engine.apply([make_product(title="Steel lamp")])
    assert sorted(titles(engine, "lamp")) == ["Brass lamp", "Steel lamp"]
