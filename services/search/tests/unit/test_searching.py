from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keel_search.adapters.fakes import FakeSearchIndex
from keel_search.adapters.result_cache import InMemoryResultCache
from keel_search.domain.commands import ApplyProductChange
from keel_search.domain.products import ProductDocument
from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import SearchResult
from keel_search.service_layer.indexing import apply_product_changes
from keel_search.service_layer.searching import answer_search, search_products

MakeProduct = Callable[..., ProductDocument]


def test_pages_are_chained_by_cursor_until_the_last(index, clock, make_product) -> None:
    products = [make_product(title=f"Lamp {n}") for n in range(5)]
    apply_product_changes([ApplyProductChange(p, clock()) for p in products], index, clock)
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        result = search_products(SearchQuery.parse(text="lamp", limit=2, cursor=cursor), index)
        seen += [hit.product.title for hit in result.hits]
        cursor = result.next_cursor
    assert sorted(seen) == sorted(p.title for p in products)
    assert cursor is None


def cached(index: FakeSearchIndex, cache: InMemoryResultCache | None, text: str = "lamp") -> bytes:
    query = SearchQuery.parse(text=text)
    return answer_search(query, index, cache, render, view="test")


def render(result: SearchResult) -> bytes:
    return json.dumps(
        [result.total, result.next_cursor, *(h.product.title for h in result.hits)]
    ).encode()


def test_a_repeated_search_on_an_unchanged_index_is_answered_from_the_cache(
    index: FakeSearchIndex, make_product: MakeProduct
) -> None:
    index.apply([make_product(title="Brass lamp")])
    cache = InMemoryResultCache(10, 100_000)
    first = cached(index, cache)
    assert cached(index, cache) == first
    assert index.searches == 1


def test_a_change_makes_the_next_search_run_again(
    index: FakeSearchIndex, make_product: MakeProduct
) -> None:
    lamp = make_product(title="Brass lamp")
    index.apply([lamp])
    cache = InMemoryResultCache(10, 100_000)
    cached(index, cache)
    index.apply([make_product(id=lamp.id, title="Copper lamp", version=2)])
    assert json.loads(cached(index, cache))[2:] == ["Copper lamp"]


def test_a_rebuild_swapped_in_makes_the_next_search_run_again(
    index: FakeSearchIndex, make_product: MakeProduct
) -> None:
    index.apply([make_product(title="Brass lamp")])
    cache = InMemoryResultCache(10, 100_000)
    cached(index, cache)
    builder = index.start_rebuild()
    builder.add([make_product(title="Rebuilt lamp")])
    builder.finish()
    assert json.loads(cached(index, cache))[2:] == ["Rebuilt lamp"]


def test_the_answer_is_kept_per_query_text_since_the_cursor_is_bound_to_it(
    index: FakeSearchIndex, make_product: MakeProduct
) -> None:
    index.apply([make_product(title=f"Brass lamp {n}") for n in range(30)])
    cache = InMemoryResultCache(10, 100_000)
    lower, upper = cached(index, cache, "lamp"), cached(index, cache, "LAMP")
    assert json.loads(lower)[1] != json.loads(upper)[1]  # the two next_cursors
    assert index.searches == 2


def test_without_a_cache_or_a_state_version_every_search_runs(
    index: FakeSearchIndex, make_product: MakeProduct, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.apply([make_product(title="Brass lamp")])
    cached(index, None)
    cached(index, None)
    monkeypatch.setattr(index, "state_version", lambda: None)  # as OpenSearch answers
    cache = InMemoryResultCache(10, 100_000)
    cached(index, cache)
    cached(index, cache)
    assert index.searches == 4 and len(cache) == 0
