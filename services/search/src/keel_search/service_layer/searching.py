"""Use case: answer a product search."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import SearchResult
from keel_search.service_layer.ports import ResultCache, SearchIndex


def search_products(query: SearchQuery, index: SearchIndex) -> SearchResult:
    """One page of results with the cursor of the next page (None on the last one).

    Search is public, like the catalogue it mirrors: only live products are indexed.
    """
    result = index.search(query)
    return dataclasses.replace(result, next_cursor=query.next_cursor(result.total))


def answer_search(
    query: SearchQuery,
    index: SearchIndex,
    cache: ResultCache | None,
    render: Callable[[SearchResult], bytes],
    view: str,
) -> bytes:
    """``render(search_products(query, index))``, taken from ``cache`` when it was made from
    the index state the index is in now.

    An answer depends only on the parsed query (raw text included: the cursor is bound to
    it) and the index state, so it is kept under both, plus ``view``, the rendering's name
    (HTTP JSON, gRPC). The version is read before searching: the search answers from that
    state or a newer one, so an answer is never kept under a state newer than its own.
    """
    version = index.state_version() if cache is not None else None
    if cache is None or version is None:
        return render(search_products(query, index))
    key = (view, query)
    answer = cache.get(version, key)
    if answer is None:
        answer = render(search_products(query, index))
        cache.put(version, key, answer)
    return answer
