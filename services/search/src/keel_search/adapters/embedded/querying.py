"""Product search on one tantivy generation: query building, ranking, facets, highlights.

Every word must match (AND). A word matches a field exactly (BM25-scored, field-boosted),
or within one edit from 5 letters, or - for the word being typed - as a prefix; inexact
matches score a constant below an exact match, so exact hits rank first. Queries are built
from analysed words, never from tantivy's query syntax, so no input can make one fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import tantivy

from keel_search.adapters.embedded.generation import SCHEMA, from_tantivy, text_analyzer
from keel_search.adapters.embedded.page_words import PageWords
from keel_search.domain.highlighting import QueryMatcher, highlight
from keel_search.domain.products import ProductDocument
from keel_search.domain.queries import SearchQuery, SortOrder, typo_budget
from keel_search.domain.results import CategoryCount, SearchHit, SearchResult

FIELD_BOOSTS = (("title", 3.0), ("category_text", 2.0), ("description", 1.0))
INEXACT_WEIGHT = 0.5
MAX_FACETS = 50
HIGHLIGHTED = ("title", "description")
MUST = tantivy.Occur.Must
SHOULD = tantivy.Occur.Should

_ANALYZER = text_analyzer()
_SORT_FIELDS = {
    SortOrder.NEWEST: ("created_at", tantivy.Order.Desc),
    SortOrder.PRICE_ASC: ("price_cents", tantivy.Order.Asc),
    SortOrder.PRICE_DESC: ("price_cents", tantivy.Order.Desc),
}


def query_words(text: str) -> list[str]:
    return list(_ANALYZER.analyze(text))


def search(searcher: tantivy.Searcher, query: SearchQuery) -> SearchResult:
    words = query_words(query.text)
    filters = list(_price_filters(query))
    field, order = _order(query, words)
    # Counting, or a page sorted by a fast field, needs the matches, not their scores: a
    # cheaper query finding the same ones.
    scored = field is None
    facet_query = _all_of([_matching(words, query, scored=scored), *filters])
    page_query = facet_query
    if query.category is not None:
        category = tantivy.Query.term_query(SCHEMA, "category", query.category)
        page_query = _all_of([facet_query, _filter(category)])
    result = searcher.search(page_query, query.limit, True, field, query.offset, order)
    products = [from_tantivy(searcher.doc(address)) for _, address in result.hits]
    hits = _highlighted(products, words, last_is_prefix=query.last_word_is_prefix)
    total = result.count or 0  # type: ignore[attr-defined]  # missing from tantivy's stubs
    if not total and query.category is None:
        # The page's query is the facets' one: nothing matched, there is nothing to count
        # (a typo too many while typing).
        return SearchResult(hits=hits, total=0, facets=[])
    if scored:
        facet_query = _all_of([_matching(words, query, scored=False), *filters])
    return SearchResult(hits=hits, total=total, facets=_facets(searcher, facet_query))


def _matching(words: list[str], query: SearchQuery, *, scored: bool) -> tantivy.Query:
    """Every word matches; without words, every live product. A tombstone holds no text
    (``to_tantivy``), so no word matches it: with words, the ``live`` clause (a constant 0
    score) would change no hit and no score, and only cost an intersection with the posting
    list of every product."""
    if not words:
        return _all_of([_filter(tantivy.Query.term_query(SCHEMA, "live", True))])
    last = len(words) - 1
    word = _word if scored else _word_matches
    return _all_of(
        [word(w, prefix=query.last_word_is_prefix and i == last) for i, w in enumerate(words)]
    )


def _word(word: str, *, prefix: bool) -> tantivy.Query:
    edits = typo_budget(word)
    alternatives = []
    for field, boost in FIELD_BOOSTS:
        alternatives.append(tantivy.Query.boost_query(_term(field, word), boost))
        if edits or prefix:
            inexact = tantivy.Query.fuzzy_term_query(SCHEMA, field, word, edits, True, prefix)
            alternatives.append(tantivy.Query.const_score_query(inexact, boost * INEXACT_WEIGHT))
    return tantivy.Query.boolean_query([(SHOULD, q) for q in alternatives])


def _word_matches(word: str, *, prefix: bool) -> tantivy.Query:
    """The documents ``_word`` matches, unscored: its inexact clause of a field finds the
    exact term too (no edit, empty suffix), so the exact one is left out when there is one."""
    edits = typo_budget(word)
    if edits or prefix:
        alternatives = [
            tantivy.Query.fuzzy_term_query(SCHEMA, field, word, edits, True, prefix)
            for field, _ in FIELD_BOOSTS
        ]
    else:
        alternatives = [_term(field, word) for field, _ in FIELD_BOOSTS]
    return tantivy.Query.boolean_query([(SHOULD, q) for q in alternatives])


def _term(field: str, word: str) -> tantivy.Query:
    return tantivy.Query.term_query(SCHEMA, field, word)


def _price_filters(query: SearchQuery) -> Iterator[tantivy.Query]:
    if query.min_price_cents is None and query.max_price_cents is None:
        return
    yield _filter(
        tantivy.Query.range_query(
            SCHEMA,
            "price_cents",
            tantivy.FieldType.Integer,
            query.min_price_cents,
            query.max_price_cents,
        )
    )


def _filter(query: tantivy.Query) -> tantivy.Query:
    """A clause that restricts without changing the ranking."""
    return tantivy.Query.const_score_query(query, 0.0)


def _all_of(queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(MUST, q) for q in queries])


def _order(query: SearchQuery, words: list[str]) -> tuple[str | None, tantivy.Order]:
    """The fast field to sort on (None: by score) and its direction."""
    sort = query.effective_sort
    if sort is SortOrder.RELEVANCE and not words:
        sort = SortOrder.NEWEST  # only punctuation was typed: nothing to rank by
    if sort is SortOrder.RELEVANCE:
        return None, tantivy.Order.Desc
    return _SORT_FIELDS[sort]


def _facets(searcher: tantivy.Searcher, query: tantivy.Query) -> list[CategoryCount]:
    agg = {"categories": {"terms": {"field": "category", "size": MAX_FACETS}}}
    buckets = searcher.aggregate(query, agg)["categories"]["buckets"]
    return [CategoryCount(str(b["key"]), int(b["doc_count"])) for b in buckets]


def _highlighted(
    products: list[ProductDocument], words: list[str], *, last_is_prefix: bool
) -> list[SearchHit]:
    """The page's hits with their fragments. The query's rules run once over the distinct
    words of the whole page (``PageWords``). Without query words there is nothing to mark."""
    if not words:
        return [SearchHit(product) for product in products]
    matcher = QueryMatcher(words, last_is_prefix=last_is_prefix)
    page = PageWords([getattr(p, field) for p in products for field in HIGHLIGHTED])
    marks = iter(page.marked(page.matched(matcher), matcher))
    texts = iter(page.texts)
    hits = []
    for product in products:
        highlights = {}
        for field in HIGHLIGHTED:
            fragment = highlight(next(texts), next(marks))
            if fragment:
                highlights[field] = fragment
        hits.append(SearchHit(product, highlights))
    return hits
