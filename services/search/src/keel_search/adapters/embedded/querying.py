"""Product search on one tantivy generation: query building, ranking, facets, highlights.

Every word must match (AND). A word matches a field exactly (BM25-scored, field-boosted),
or within one edit from 5 letters, or - for the word being typed - as a prefix; inexact
matches score a constant below an exact match, so exact hits rank first. Queries are built
from analysed words, never from tantivy's query syntax, so no input can make one fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tantivy

from keel_search.adapters.embedded.generation import MAX_TOKEN, SCHEMA, from_tantivy, text_analyzer
from keel_search.domain.highlighting import QueryMatcher, Token, highlight
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
# The analyzer on ASCII text: words are runs of letters and digits, lowercased (which keeps
# every offset), and words of MAX_TOKEN characters or more are dropped (never indexed).
_EDGE_BEFORE, _EDGE_AFTER = "(?<![a-z0-9])", "(?![a-z0-9])"
_ASCII_WORD = re.compile(f"{_EDGE_BEFORE}[a-z0-9]{{1,{MAX_TOKEN - 1}}}{_EDGE_AFTER}")
_SORT_FIELDS = {
    SortOrder.NEWEST: ("created_at", tantivy.Order.Desc),
    SortOrder.PRICE_ASC: ("price_cents", tantivy.Order.Asc),
    SortOrder.PRICE_DESC: ("price_cents", tantivy.Order.Desc),
}


def query_words(text: str) -> list[str]:
    return list(_ANALYZER.analyze(text))


def search(searcher: tantivy.Searcher, query: SearchQuery) -> SearchResult:
    words = query_words(query.text)
    matching = _matching(words, query)
    facet_query = _all_of([matching, *_price_filters(query)])
    page_query = facet_query
    if query.category is not None:
        category = tantivy.Query.term_query(SCHEMA, "category", query.category)
        page_query = _all_of([facet_query, _filter(category)])
    field, order = _order(query, words)
    result = searcher.search(page_query, query.limit, True, field, query.offset, order)
    products = [from_tantivy(searcher.doc(address)) for _, address in result.hits]
    hits = _highlighted(products, words, last_is_prefix=query.last_word_is_prefix)
    total = result.count or 0  # type: ignore[attr-defined]  # missing from tantivy's stubs
    return SearchResult(hits=hits, total=total, facets=_facets(searcher, facet_query))


def _matching(words: list[str], query: SearchQuery) -> tantivy.Query:
    live = _filter(tantivy.Query.term_query(SCHEMA, "live", True))
    last = len(words) - 1
    return _all_of(
        [
            live,
            *(
                _word(w, prefix=query.last_word_is_prefix and i == last)
                for i, w in enumerate(words)
            ),
        ]
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
    words of the whole page; in ASCII text one regex then finds the matched words, so no
    Python object is made per word. Without query words there is nothing to mark."""
    if not words:
        return [SearchHit(product) for product in products]
    matcher = QueryMatcher(words, last_is_prefix=last_is_prefix)
    texts = [[getattr(product, field) for field in HIGHLIGHTED] for product in products]
    matched = matcher.learn(page_vocabulary([text for fields in texts for text in fields]))
    marker = _marker(iter(matched))
    return [_hit(p, fields, matcher, marker) for p, fields in zip(products, texts, strict=True)]


def page_vocabulary(texts: list[str]) -> set[str]:
    """The distinct words the index made of all ``texts``: the ASCII ones in one regex
    pass over them joined by spaces (which only separate words)."""
    ascii_texts = [text for text in texts if text.isascii()]
    vocabulary = set(_ASCII_WORD.findall(" ".join(ascii_texts).lower()))
    if len(ascii_texts) < len(texts):
        for text in texts:
            if not text.isascii():
                vocabulary.update(analysed_vocabulary(text))
    return vocabulary


def analysed_vocabulary(text: str) -> set[str]:
    """The distinct words the index made of ``text``."""
    if text.isascii():
        return set(_ASCII_WORD.findall(text.lower()))
    return {t.text for t in _ANALYZER.pre_tokenize(text).tokens}


def marked_words(text: str, matcher: QueryMatcher, marker: re.Pattern[str] | None) -> list[Token]:
    """The words of ``text`` that the query matches, with their offsets in ``text``."""
    if text.isascii():
        # lower() keeps the offsets of ASCII text.
        return (
            []
            if marker is None
            else [Token(m.group(), m.start(), m.end()) for m in marker.finditer(text.lower())]
        )
    tokens = _ANALYZER.pre_tokenize(text).tokens
    return [
        Token(t.text, t.char_offset_from, t.char_offset_to)
        for t in tokens
        if matcher.matches(t.text)
    ]


def _marker(matched: Iterator[str]) -> re.Pattern[str] | None:
    """A regex finding exactly the whole ASCII words in ``matched`` (longest first)."""
    alternatives = sorted((re.escape(w) for w in matched if w.isascii()), key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(f"{_EDGE_BEFORE}(?:{'|'.join(alternatives)}){_EDGE_AFTER}")


def _hit(
    product: ProductDocument,
    texts: list[str],
    matcher: QueryMatcher,
    marker: re.Pattern[str] | None,
) -> SearchHit:
    highlights = {}
    for field, text in zip(HIGHLIGHTED, texts, strict=True):
        fragment = highlight(text, marked_words(text, matcher, marker))
        if fragment:
            highlights[field] = fragment
    return SearchHit(product, highlights)
