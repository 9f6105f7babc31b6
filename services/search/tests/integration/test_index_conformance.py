"""The contract every search engine keeps, run against each implementation (the rebuild
part is in ``test_index_rebuild_conformance.py``).

Engines differ in scoring details; these tests only pin what the API promises: matching
rules, version rules, ordering that follows from the rules, facets, highlights.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from keel_search.domain.products import ApplyOutcome, ProductDocument, ProductTombstone
from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import SearchResult
from keel_search.service_layer.ports import SearchIndex

MakeProduct = Callable[..., ProductDocument]


def find(engine: SearchIndex, text: str = "", **params: Any) -> SearchResult:
    return engine.search(SearchQuery.parse(text=text, **params))


def titles(engine: SearchIndex, text: str = "", **params: Any) -> list[str]:
    return [hit.product.title for hit in find(engine, text, **params).hits]


def test_an_empty_index_answers_with_nothing(engine: SearchIndex) -> None:
    result = find(engine, "lamp")
    assert (result.hits, result.total, result.facets) == ([], 0, [])
    assert engine.document_count() == 0


def test_every_field_comes_back_as_indexed(engine: SearchIndex, make_product: MakeProduct) -> None:
    lamp = make_product(title="Brass lamp", description="", version=7)
    engine.apply([lamp])
    [hit] = find(engine, "lamp").hits
    assert hit.product == lamp


def test_an_update_replaces_the_product(engine: SearchIndex, make_product: MakeProduct) -> None:
    lamp = make_product(title="Brass lamp")
    engine.apply([lamp])
    engine.apply([make_product(id=lamp.id, title="Copper lamp", version=2)])
    assert titles(engine, "lamp") == ["Copper lamp"]
    assert titles(engine, "brass") == []
    assert engine.document_count() == 1


def test_older_and_repeated_versions_are_stale(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    v3 = make_product(title="Copper lamp", version=3)
    v2 = make_product(id=v3.id, title="Brass lamp", version=2)
    assert engine.apply([v3]) == [ApplyOutcome.APPLIED]
    assert engine.apply([v2, v3]) == [ApplyOutcome.STALE, ApplyOutcome.STALE]
    assert titles(engine, "lamp") == ["Copper lamp"]


def test_in_one_batch_the_highest_version_wins(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    v2 = make_product(title="Copper lamp", version=2)
    v1 = make_product(id=v2.id, title="Brass lamp", version=1)
    assert engine.apply([v2, v1]) == [ApplyOutcome.APPLIED, ApplyOutcome.STALE]
    assert titles(engine, "lamp") == ["Copper lamp"]


def test_a_deleted_product_stays_deleted(engine: SearchIndex, make_product: MakeProduct) -> None:
    lamp = make_product(title="Brass lamp")
    engine.apply([lamp])
    assert engine.apply([ProductTombstone(lamp.id, 3, lamp.created_at)]) == [ApplyOutcome.APPLIED]
    late = make_product(id=lamp.id, title="Brass lamp", version=2)
    assert engine.apply([late]) == [ApplyOutcome.STALE]
    assert titles(engine, "lamp") == []
    assert engine.document_count() == 0


def test_a_delete_before_the_create_wins(engine: SearchIndex, make_product: MakeProduct) -> None:
    lamp = make_product(title="Brass lamp")
    engine.apply([ProductTombstone(lamp.id, 2, lamp.created_at)])
    assert engine.apply([lamp]) == [ApplyOutcome.STALE]
    assert titles(engine, "lamp") == []


def test_every_word_must_match(engine: SearchIndex, make_product: MakeProduct) -> None:
    engine.apply([make_product(title="Brass desk lamp"), make_product(title="Brass door knob")])
    assert titles(engine, "brass lamp ") == ["Brass desk lamp"]


def test_words_match_in_title_description_and_category(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply(
        [
            make_product(title="Aurora", description="A lamp for reading"),
            make_product(title="Boreal", category="Lighting"),
        ]
    )
    assert titles(engine, "reading ") == ["Aurora"]
    assert titles(engine, "lighting ") == ["Boreal"]


def test_the_word_being_typed_matches_as_a_prefix(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply([make_product(title="Wireless headphones")])
    assert titles(engine, "wireless head") == ["Wireless headphones"]
    assert titles(engine, "head wireless") == []  # only the last word is a prefix
    assert titles(engine, "wireless head ") == []  # a space ends the word


def test_search_as_you_type_keeps_typos_forgiven_on_whole_words(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply([make_product(title="Wireless headphones"), make_product(title="Headlamp")])
    assert titles(engine, "headph") == ["Wireless headphones"]
    assert titles(engine, "wireles headph") == ["Wireless headphones"]  # typo, then prefix
    assert titles(engine, "headph wireless") == []  # a finished word is not a prefix


def test_one_typo_is_forgiven_from_five_letters(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply([make_product(title="Wireless headphones"), make_product(title="Brass lamp")])
    assert titles(engine, "wireles hedphones ") == ["Wireless headphones"]
    assert titles(engine, "haedphones ") == ["Wireless headphones"]  # a transposition
    assert titles(engine, "headphnoes ") == ["Wireless headphones"]
    assert titles(engine, "hedphnes ") == []  # two edits
    assert titles(engine, "lmap ") == []  # four letters must be typed right


def test_accents_and_case_do_not_matter(engine: SearchIndex, make_product: MakeProduct) -> None:
    engine.apply([make_product(title="Crème brûlée torch")])
    assert titles(engine, "CREME BRULEE ") == ["Crème brûlée torch"]


def test_title_matches_rank_above_description_matches(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply(
        [
            make_product(title="Reading chair", description="Comfortable, with a side lamp"),
            make_product(title="Desk lamp", description="Bright and adjustable"),
        ]
    )
    assert titles(engine, "lamp ") == ["Desk lamp", "Reading chair"]


def test_exact_matches_rank_above_typo_matches(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply([make_product(title="Table lamp"), make_product(title="Cable clip")])
    assert titles(engine, "cable ") == ["Cable clip", "Table lamp"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "title:lamp",
        "lamp*",
        "(lamp",
        "lamp AND OR NOT",
        "\\",
        "lamp~2",
        "lamp^10",
        "[1 TO 2]",
        "{}",
        "💡 lamp",
        "%_%",
        "'; DROP TABLE products; --",
        "\x00lamp",
        "-lamp +lamp",
        "/lamp/",
        "l" * 256,
        "a.b-c_d",
    ],
)
def test_special_characters_never_fail(
    engine: SearchIndex, make_product: MakeProduct, text: str
) -> None:
    engine.apply([make_product(title="Brass lamp")])
    result = find(engine, text)
    assert result.total == len(result.hits) <= 1


def test_a_query_without_words_lists_everything_newest_first(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    old = make_product(title="Old lamp")
    new = make_product(title="New lamp", created_at=old.created_at + timedelta(days=1))
    engine.apply([old, new])
    assert titles(engine, "") == ["New lamp", "Old lamp"]
    assert titles(engine, "?!") == ["New lamp", "Old lamp"]


def test_category_and_price_filters(engine: SearchIndex, make_product: MakeProduct) -> None:
    engine.apply(
        [
            make_product(title="Lamp A", category="lighting", price_cents=1000),
            make_product(title="Lamp B", category="lighting", price_cents=2000),
            make_product(title="Lamp C", category="lighting", price_cents=3000),
            make_product(title="Lamp D", category="supplies", price_cents=2000),
        ]
    )
    found = titles(engine, "lamp", category="lighting", min_price_cents=2000)
    assert sorted(found) == ["Lamp B", "Lamp C"]
    assert sorted(titles(engine, "", max_price_cents=2000)) == ["Lamp A", "Lamp B", "Lamp D"]
    assert titles(engine, "", category="Lighting") == []  # categories match exactly


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Lamp C", "Lamp B", "Lamp A"]),
        ("price_asc", ["Lamp B", "Lamp A", "Lamp C"]),
        ("price_desc", ["Lamp C", "Lamp A", "Lamp B"]),
    ],
)
def test_sort_orders(
    engine: SearchIndex, make_product: MakeProduct, sort: str, expected: list[str]
) -> None:
    first = make_product(title="Lamp A", price_cents=2000)
    day = timedelta(days=1)
    engine.apply(
        [
            first,
            make_product(title="Lamp B", price_cents=1000, created_at=first.created_at + day),
            make_product(title="Lamp C", price_cents=3000, created_at=first.created_at + 2 * day),
        ]
    )
    assert titles(engine, "lamp", sort=sort) == expected


def test_pages_and_total(engine: SearchIndex, make_product: MakeProduct) -> None:
    engine.apply([make_product(title=f"Lamp {n}", price_cents=100 + n) for n in range(7)])
    query = SearchQuery.parse(text="lamp", sort="price_asc", limit=3)
    pages = []
    while True:
        result = engine.search(query)
        assert result.total == 7
        pages.append([hit.product.title for hit in result.hits])
        cursor = query.next_cursor(result.total)
        if cursor is None:
            break
        query = SearchQuery.parse(text="lamp", sort="price_asc", limit=3, cursor=cursor)
    assert pages == [["Lamp 0", "Lamp 1", "Lamp 2"], ["Lamp 3", "Lamp 4", "Lamp 5"], ["Lamp 6"]]


def test_facets_count_categories_of_every_match(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply(
        [
            make_product(title="Desk lamp", category="lighting", price_cents=1000),
            make_product(title="Floor lamp", category="lighting", price_cents=5000),
            make_product(title="Lamp oil", category="supplies", price_cents=1000),
            make_product(title="Chair", category="furniture", price_cents=1000),
        ]
    )
    result = find(engine, "lamp", category="supplies", max_price_cents=2000)
    assert [hit.product.title for hit in result.hits] == ["Lamp oil"]
    assert {(f.category, f.count) for f in result.facets} == {("lighting", 1), ("supplies", 1)}


def test_the_result_carries_total_and_category_facets(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply(
        [
            make_product(title="Desk lamp", category="lighting"),
            make_product(title="Floor lamp", category="lighting"),
            make_product(title="Lamp oil", category="supplies"),
        ]
    )
    result = find(engine, "lamp", category="supplies")
    assert result.total == 1
    assert {(f.category, f.count) for f in result.facets} == {("lighting", 2), ("supplies", 1)}


def test_matches_are_highlighted_and_escaped(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    engine.apply(
        [make_product(title="Brass <b>lamp</b>", description="A wireless lamp & a headphone stand")]
    )
    [hit] = find(engine, "lamp wirless headph").hits
    title = hit.highlights["title"]
    assert "<mark>lamp</mark>" in title and "<b>" not in title
    assert html.unescape(title.replace("<mark>", "").replace("</mark>", "")) == "Brass <b>lamp</b>"
    description = hit.highlights["description"]
    for marked in ("wireless", "lamp", "headphone"):
        assert f"<mark>{marked}</mark>" in description
    assert "&amp;" in description


def test_owned_by_lists_one_owners_live_products(
    engine: SearchIndex, make_product: MakeProduct
) -> None:
    owner = uuid4()
    mine = [make_product(owner_id=owner, title=f"Lamp {i}") for i in range(3)]
    engine.apply([*mine, make_product(title="Someone else's lamp")])
    engine.apply([ProductTombstone(mine[0].id, 2, mine[0].created_at)])

    assert {d.id for d in engine.owned_by(owner, 10)} == {mine[1].id, mine[2].id}
    assert len(engine.owned_by(owner, 1)) == 1
    assert engine.owned_by(uuid4(), 10) == []
