"""The OpenSearch request bodies follow the same rules as the embedded engine (the engine
itself is only exercised by the conformance suite when OPENSEARCH_URL is set)."""

from __future__ import annotations

import json

from keel_search.adapters.opensearch_queries import search_body
from keel_search.domain.queries import SearchQuery


def clauses(body: dict) -> list[dict]:
    return body["query"]["bool"]["must"]


def test_every_word_is_required_and_only_long_words_are_fuzzy() -> None:
    body = search_body(SearchQuery.parse(text="red lamps "))
    red, lamps = clauses(body)
    assert "fuzziness" not in json.dumps(red)
    assert '"fuzziness": 1' in json.dumps(lamps)
    assert "match_bool_prefix" not in json.dumps(body)


def test_only_the_word_being_typed_is_a_prefix() -> None:
    first, last = clauses(search_body(SearchQuery.parse(text="red lam")))
    assert "match_bool_prefix" not in json.dumps(first)
    assert "match_bool_prefix" in json.dumps(last)


def test_search_as_you_type_keeps_typos_on_whole_words() -> None:
    whole, typed = clauses(search_body(SearchQuery.parse(text="wireles headph")))
    fuzzy = {"match": {"title": {"query": "wireles", "fuzziness": 1, "prefix_length": 0}}}
    assert {"constant_score": {"filter": fuzzy, "boost": 1.5}} in whole["bool"]["should"]
    prefix = {"match_bool_prefix": {"title": {"query": "headph"}}}
    assert {"constant_score": {"filter": prefix, "boost": 1.5}} in typed["bool"]["should"]
    assert typed["bool"]["minimum_should_match"] == 1


def test_the_category_filter_spares_the_facets() -> None:
    body = search_body(SearchQuery.parse(text="lamp", category="lighting", min_price_cents=5))
    assert body["post_filter"] == {"term": {"category": "lighting"}}
    assert {"range": {"price_cents": {"gte": 5}}} in body["query"]["bool"]["filter"]


def test_no_words_lists_the_newest_and_pages_follow_the_cursor() -> None:
    first = SearchQuery.parse(text="?!", limit=5)
    body = search_body(first)
    assert clauses(body) == [{"match_all": {}}]
    assert body["sort"] == [{"created_at": "desc"}]
    second = SearchQuery.parse(text="?!", limit=5, cursor=first.next_cursor(total=20))
    assert (search_body(second)["from"], search_body(second)["size"]) == (5, 5)


def test_highlights_are_escaped_and_marked() -> None:
    highlight = search_body(SearchQuery.parse(text="lamp"))["highlight"]
    assert (highlight["pre_tags"], highlight["post_tags"], highlight["encoder"]) == (
        ["<mark>"],
        ["</mark>"],
        "html",
    )
