"""The embedded engine's search answers exactly what a straightforward computation does.

``querying.search`` takes short cuts for speed: no ``live`` clause when words are searched,
facets counted (and pages sorted by a field found) by an unscored query, no facets counted
when nothing matched, documents decoded without ``UUID()`` nor the dataclass's
``__init__``, the page's words found without tantivy's analyzer in ASCII text (without
splitting it when no typo is forgiven), and the typo rule run on a few candidates.
The reference below takes none of them: every clause, tantivy's analyzer on every text, one
token at a time through ``word_matches``. Both run a varied mix of searches (words, prefixes,
typos at every position, categories, prices, sorts, pages, accents, punctuation) over a
generated catalogue with tombstones, and must agree on every hit, fragment, total and facet.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import tantivy

from keel_search.adapters.embedded import querying
from keel_search.adapters.embedded.generation import MAX_TOKEN, SCHEMA, text_analyzer
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.domain.highlighting import Token, highlight, word_matches
from keel_search.domain.products import ProductDocument, ProductTombstone
from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import CategoryCount, SearchHit, SearchResult

ANALYZER = text_analyzer()
WORDS = [
    "lamp", "lamps", "lampshade", "clamp", "blamp", "wireless", "wirless", "headphones",
    "headphone", "headset", "black", "block", "blacks", "slack", "model12", "model120",
    "model1", "mdel12", "desk", "disk", "deks", "chair", "chairs", "chiar", "kettle",
    "Crème", "brûlée", "Über", "naïve", "ÆØÅ", "straße", "café", "usb-c", "model12_b",
    "AT&T", "<b>bold</b>", "\"quoted\"", "it's", "2x", "65W", "x" * (MAX_TOKEN - 1),
    "y" * MAX_TOKEN, "z" * (MAX_TOKEN + 3), "yes", "zip", "a", "I", "e", "UPPER", "MiXeD", "tea",
    "coffee",
]  # fmt: skip
CATEGORIES = ["audio", "lighting", "furniture", "tea & coffee", "café"]
START = datetime(2025, 1, 1, tzinfo=UTC)
FIELDS = [field.name for field in dataclasses.fields(ProductDocument)]


def catalogue(rng: random.Random, count: int) -> list[ProductDocument]:
    def text(low: int, high: int) -> str:
        joiners = [" ", " ", " ", ", ", "-", "_", ". ", "/", " & "]
        words = rng.choices(WORDS, k=rng.randint(low, high))
        return "".join(w + rng.choice(joiners) for w in words).strip(" ,/&-_.")

    return [
        ProductDocument(
            id=UUID(int=rng.getrandbits(128), version=4),
            title=text(1, 5),
            description=text(0, 40) if rng.random() < 0.9 else "",
            category=rng.choice(CATEGORIES),
            price_cents=rng.randint(100, 50_000),
            currency="EUR",
            owner_id=UUID(int=rng.getrandbits(128), version=4),
            created_at=START + timedelta(seconds=rng.randint(0, 3) * 3600),  # ties on sort
            updated_at=START,
            version=1,
            thumbnail_url=f"https://img.example/{n}.webp" if n % 3 else None,
        )
        for n in range(count)
    ]


def typed(rng: random.Random, word: str) -> str:
    """``word`` as a shopper might type it: cut, with a typo anywhere, or in other case."""
    word = word.lower() if rng.random() < 0.8 else word.upper()
    at = rng.randrange(len(word))
    edits = {
        "as is": lambda: word,
        "cut": lambda: word[: rng.randint(1, len(word))],
        "substitution": lambda: word[:at] + rng.choice("aeiostx") + word[at + 1 :],
        "insertion": lambda: word[:at] + rng.choice("aeiostx") + word[at:],
        "deletion": lambda: word[:at] + word[at + 1 :],
        "transposition": lambda: word[:at] + word[at + 1 : at + 2] + word[at : at + 1]
        + word[at + 2 :],
        "first letter": lambda: rng.choice("bdmsx") + word[1:],
    }  # fmt: skip
    return edits[rng.choice(list(edits))]() or word


def query_mix(rng: random.Random, count: int) -> list[dict[str, Any]]:
    mix: list[dict[str, Any]] = []
    for _ in range(count):
        words = [typed(rng, rng.choice(WORDS)) for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3]))]
        params: dict[str, Any] = {"text": " ".join(words) + rng.choice(["", "", " "])}
        if rng.random() < 0.25:
            params["category"] = rng.choice(CATEGORIES)
        if rng.random() < 0.2:
            params["min_price_cents"] = rng.choice([None, 1_000, 20_000])
            params["max_price_cents"] = rng.choice([None, 30_000])
        params["sort"] = rng.choice([None, None, "relevance", "newest", "price_asc", "price_desc"])
        params["limit"] = rng.choice([20, 20, 5, 100])
        mix.append({k: v for k, v in params.items() if v is not None})
    # Never indexed, the words of MAX_TOKEN letters or more must not be marked either.
    mix += [{"text": t} for t in ["y", "z", "ye", "zi", "lamp y", "lamp z", "x" * (MAX_TOKEN - 1)]]
    mix += [{"text": t} for t in ["", " ", "!!", "ÆØÅ", "creme brulee", "usb-c", "model12_b"]]
    return mix


def reference_search(searcher: tantivy.Searcher, query: SearchQuery) -> SearchResult:
    """The search without short cuts: live filter always, facets by the scored query."""
    words = querying.query_words(query.text)
    last = len(words) - 1
    live = querying._filter(tantivy.Query.term_query(SCHEMA, "live", True))
    scored = [querying._word(w, prefix=query.last_word_is_prefix and i == last)
              for i, w in enumerate(words)]  # fmt: skip
    facet_query = querying._all_of(
        [querying._all_of([live, *scored]), *querying._price_filters(query)]
    )
    page_query = facet_query
    if query.category is not None:
        category = tantivy.Query.term_query(SCHEMA, "category", query.category)
        page_query = querying._all_of([facet_query, querying._filter(category)])
    field, order = querying._order(query, words)
    result = searcher.search(page_query, query.limit, True, field, query.offset, order)
    products = [reference_document(searcher.doc(address)) for _, address in result.hits]
    agg = {"categories": {"terms": {"field": "category", "size": querying.MAX_FACETS}}}
    buckets = searcher.aggregate(facet_query, agg)["categories"]["buckets"]
    return SearchResult(
        hits=[reference_hit(p, words, query.last_word_is_prefix) for p in products],
        total=result.count,  # type: ignore[attr-defined]
        facets=[CategoryCount(str(b["key"]), int(b["doc_count"])) for b in buckets],
    )


def reference_document(doc: tantivy.Document) -> ProductDocument:
    fields = doc.to_dict()
    return ProductDocument(
        id=UUID(fields["id"][0]),
        title=fields["title"][0],
        description=fields.get("description", [""])[0],
        category=fields["category"][0],
        price_cents=fields["price_cents"][0],
        currency=fields["currency"][0],
        owner_id=UUID(fields["owner_id"][0]),
        created_at=fields["created_at"][0],
        updated_at=fields["updated_at"][0],
        version=fields["version"][0],
        thumbnail_url=fields.get("thumbnail_url", [None])[0],
    )


def reference_hit(product: ProductDocument, words: list[str], last_is_prefix: bool) -> SearchHit:
    if not words:
        return SearchHit(product)
    rules = [(w, last_is_prefix and i == len(words) - 1) for i, w in enumerate(words)]
    highlights = {}
    for field in querying.HIGHLIGHTED:
        text = getattr(product, field)
        marked = [
            Token(t.text, t.char_offset_from, t.char_offset_to)
            for t in ANALYZER.pre_tokenize(text).tokens
            if any(word_matches(t.text, w, prefix=p) for w, p in rules)
        ]
        if fragment := highlight(text, marked):
            highlights[field] = fragment
    return SearchHit(product, highlights)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedSearchIndex:
    rng = random.Random(20261205)
    index = EmbeddedSearchIndex(Path(tmp_path_factory.mktemp("fast-paths")) / "index")
    products = catalogue(rng, 600)
    index.apply(products)
    # Tombstones hold no text: searches with words find no deleted product without ``live``.
    index.apply([ProductTombstone(p.id, 2, START) for p in products[::7]])
    index.apply([ProductTombstone(UUID(int=n), 1, START) for n in range(1, 40)])
    return index


def test_searches_answer_what_the_straightforward_computation_does(
    generated: EmbeddedSearchIndex,
) -> None:
    rng = random.Random(7)
    searcher = generated._live_reader().searcher()  # type: ignore[union-attr]
    compared = matched = highlighted = nothing = 0
    for params in query_mix(rng, 400):
        query = SearchQuery.parse(**params)
        for _ in range(3):  # this page and the next ones, through their cursors
            fast, reference = generated.search(query), reference_search(searcher, query)
            assert fast == reference, params
            # Equal, and as the dataclass's own __init__ makes them: fields set in order.
            for hit in fast.hits:
                assert type(hit.product) is ProductDocument
                assert list(vars(hit.product)) == FIELDS
            compared += 1
            matched += bool(fast.total)
            nothing += not fast.total and query.category is None
            highlighted += sum(bool(hit.highlights) for hit in fast.hits)
            cursor = query.next_cursor(fast.total)
            if cursor is None:
                break
            query = SearchQuery.parse(**params, cursor=cursor)
    # The mix is varied enough to mean something: most searches find and mark something.
    assert compared > 500 and matched > compared // 2 and highlighted > 1000 and nothing > 20
