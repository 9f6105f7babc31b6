from __future__ import annotations

from keel_search.domain.commands import ApplyProductChange
from keel_search.domain.queries import SearchQuery
from keel_search.service_layer.indexing import apply_product_changes
from keel_search.service_layer.searching import search_products


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
