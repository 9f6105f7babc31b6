"""Use case: answer a product search."""

from __future__ import annotations

import dataclasses

from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import SearchResult
from keel_search.service_layer.ports import SearchIndex


def search_products(query: SearchQuery, index: SearchIndex) -> SearchResult:
    """One page of results with the cursor of the next page (None on the last one).

    Search is public, like the catalogue it mirrors: only live products are indexed.
    """
    result = index.search(query)
    return dataclasses.replace(result, next_cursor=query.next_cursor(result.total))
