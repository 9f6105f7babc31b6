from __future__ import annotations

import pytest

from keel_search.domain.errors import InvalidQuery
from keel_search.domain.queries import (
    MAX_WINDOW,
    SearchQuery,
    SortOrder,
    encode_cursor,
    typo_budget,
)


def test_defaults_search_everything_by_relevance() -> None:
    query = SearchQuery.parse()
    assert (query.text, query.category, query.sort, query.limit, query.offset) == (
        "",
        None,
        SortOrder.RELEVANCE,
        20,
        0,
    )


def test_every_bad_parameter_is_reported_at_once() -> None:
    with pytest.raises(InvalidQuery) as caught:
        SearchQuery.parse(
            text="x" * 300,
            category="c" * 65,
            min_price_cents=-1,
            max_price_cents=-5,
            sort="cheapest",
            limit=0,
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {"q", "category", "min_price_cents", "max_price_cents", "sort", "limit"}


def test_a_query_of_more_than_ten_words_is_refused() -> None:
    SearchQuery.parse(text=" ".join(["tea"] * 10))
    with pytest.raises(InvalidQuery) as caught:
        SearchQuery.parse(text=" ".join("abcdefghijk"))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("q", "must be at most 10 words")
    ]


def test_min_price_above_max_price_is_refused() -> None:
    with pytest.raises(InvalidQuery) as caught:
        SearchQuery.parse(min_price_cents=500, max_price_cents=100)
    assert [e.field for e in caught.value.errors] == ["max_price_cents"]


def test_limit_above_the_maximum_is_refused() -> None:
    with pytest.raises(InvalidQuery):
        SearchQuery.parse(limit=101)


def test_empty_category_means_every_category() -> None:
    assert SearchQuery.parse(category="").category is None


def test_the_next_cursor_leads_to_the_next_page() -> None:
    first = SearchQuery.parse(text="lamp", limit=10)
    cursor = first.next_cursor(total=25)
    assert cursor is not None
    second = SearchQuery.parse(text="lamp", limit=10, cursor=cursor)
    assert second.offset == 10
    third = SearchQuery.parse(text="lamp", limit=10, cursor=second.next_cursor(total=25))
    assert third.offset == 20
    assert third.next_cursor(total=25) is None


def test_a_cursor_only_works_for_its_own_search() -> None:
    cursor = SearchQuery.parse(text="lamp", limit=10).next_cursor(total=25)
    assert cursor is not None
    with pytest.raises(InvalidQuery) as caught:
        SearchQuery.parse(text="chair", limit=10, cursor=cursor)
    assert [e.field for e in caught.value.errors] == ["cursor"]


@pytest.mark.parametrize("cursor", ["not-base64!!", "e30", "eyJvIjotMX0", "%%%", "a" * 50])
def test_a_forged_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidQuery):
        SearchQuery.parse(text="lamp", cursor=cursor)


def test_paging_stops_at_the_result_window() -> None:
    query = SearchQuery.parse(text="lamp", limit=100)
    deep = encode_cursor(MAX_WINDOW - 50, query.fingerprint)
    with pytest.raises(InvalidQuery):
        SearchQuery.parse(text="lamp", limit=100, cursor=deep)
    last = SearchQuery.parse(
        text="lamp", limit=100, cursor=encode_cursor(MAX_WINDOW - 100, query.fingerprint)
    )
    assert last.next_cursor(total=10 * MAX_WINDOW) is None


@pytest.mark.parametrize(
    ("text", "typing"), [("red sho", True), ("red shoes ", False), ("", False), ("  ", False)]
)
def test_the_last_word_is_a_prefix_until_a_space_follows(text: str, typing: bool) -> None:
    assert SearchQuery.parse(text=text).last_word_is_prefix is typing


@pytest.mark.parametrize(("word", "edits"), [("lamp", 0), ("chair", 1), ("headphones", 1)])
def test_one_typo_is_forgiven_from_five_letters(word: str, edits: int) -> None:
    assert typo_budget(word) == edits
