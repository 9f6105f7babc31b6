"""OpenSearch index settings and search bodies that follow the same rules as the
embedded engine (see ``embedded/querying.py``): every word must match, exact matches score
with BM25 and field boosts, a word of 5+ letters may be one edit off (constant score below
an exact match), the word being typed also matches as a prefix.

One difference, stated in the README: OpenSearch has no fuzzy *prefix* query, so a typo
inside the word being typed only matches once the word is complete.
"""

from __future__ import annotations

import re
from typing import Any

from keel_search.domain.queries import SearchQuery, SortOrder, typo_budget

FIELD_BOOSTS = (("title", 3.0), ("category.text", 2.0), ("description", 1.0))
INEXACT_WEIGHT = 0.5
MAX_FACETS = 50
FRAGMENT_CHARS = 200
_WORD = re.compile(r"[^\W_]+")
_TEXT = {"type": "text", "analyzer": "keel_words"}

SETTINGS: dict[str, Any] = {
    "analysis": {
        # The embedded engine's analyzer: split on anything but letters and digits,
        # lowercase, fold accents.
        "tokenizer": {"keel_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}},
        "analyzer": {
            "keel_words": {
                "type": "custom",
                "tokenizer": "keel_words",
                "filter": ["lowercase", "asciifolding"],
            }
        },
    }
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "live": {"type": "boolean"},
        "version": {"type": "long"},
        "title": _TEXT,
        "description": _TEXT,
        "category": {"type": "keyword", "fields": {"text": _TEXT}},
        "price_cents": {"type": "long"},
        "currency": {"type": "keyword"},
        "owner_id": {"type": "keyword"},
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
        # Shown in hits, never searched.
        "thumbnail_url": {"type": "keyword", "index": False, "doc_values": False},
    },
}
_SORTS = {
    SortOrder.NEWEST: [{"created_at": "desc"}],
    SortOrder.PRICE_ASC: [{"price_cents": "asc"}],
    SortOrder.PRICE_DESC: [{"price_cents": "desc"}],
}


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The request body of ``OpenSearch.search``."""
    words = [w.lower() for w in _WORD.findall(query.text)]
    last = len(words) - 1
    clauses = [
        _word(w, prefix=query.last_word_is_prefix and i == last) for i, w in enumerate(words)
    ]
    filters: list[dict[str, Any]] = [{"term": {"live": True}}]
    if query.min_price_cents is not None or query.max_price_cents is not None:
        bounds = {"gte": query.min_price_cents, "lte": query.max_price_cents}
        filters.append(
            {"range": {"price_cents": {k: v for k, v in bounds.items() if v is not None}}}
        )
    body: dict[str, Any] = {
        "query": {"bool": {"must": clauses or [{"match_all": {}}], "filter": filters}},
        "aggs": {"categories": {"terms": {"field": "category", "size": MAX_FACETS}}},
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        "highlight": {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "fields": {
                "title": {"number_of_fragments": 0},
                "description": {"fragment_size": FRAGMENT_CHARS, "number_of_fragments": 1},
            },
        },
    }
    if query.category is not None:
        # post_filter: the facet counts still cover the other categories.
        body["post_filter"] = {"term": {"category": query.category}}
    sort = query.effective_sort
    if sort is SortOrder.RELEVANCE and not words:
        sort = SortOrder.NEWEST
    if sort is not SortOrder.RELEVANCE:
        body["sort"] = _SORTS[sort]
    return body


def _word(word: str, *, prefix: bool) -> dict[str, Any]:
    edits = typo_budget(word)
    should: list[dict[str, Any]] = []
    for field, boost in FIELD_BOOSTS:
        should.append({"match": {field: {"query": word, "boost": boost}}})
        inexact = boost * INEXACT_WEIGHT
        if edits:
            fuzzy = {"match": {field: {"query": word, "fuzziness": edits, "prefix_length": 0}}}
            should.append({"constant_score": {"filter": fuzzy, "boost": inexact}})
        if prefix:
            typed = {"match_bool_prefix": {field: {"query": word}}}
            should.append({"constant_score": {"filter": typed, "boost": inexact}})
    return {"bool": {"should": should, "minimum_should_match": 1}}
