"""The embedded engine finds the words to mark in ASCII text with a regex instead of tantivy's
analyzer: both must see the same words, or a highlight would miss what the index matched."""

from __future__ import annotations

import pytest

from keel_search.adapters.embedded import querying
from keel_search.adapters.embedded.generation import MAX_TOKEN, text_analyzer
from keel_search.domain.highlighting import QueryMatcher

ANALYZER = text_analyzer()
TEXTS = [
    "Nordwind USB-C charger, 65W (model12_b) & 2x cables!",
    "x" * (MAX_TOKEN - 1) + " " + "y" * MAX_TOKEN + " zz",
    "  leading, trailing...  ",
    "Crème brûlée torch",  # not ASCII: tantivy's analyzer (accents folded)
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_words_are_those_of_the_index_analyzer(text: str) -> None:
    tokens = ANALYZER.pre_tokenize(text).tokens
    assert querying.analysed_vocabulary(text) == {t.text for t in tokens}

    words = {t.text for t in tokens[::2]}
    matcher = QueryMatcher(sorted(words), last_is_prefix=False)
    matched = (w for w in querying.analysed_vocabulary(text) if matcher.matches(w))
    marked = querying.marked_words(text, matcher, querying._marker(matched))
    expected = [(t.text, t.char_offset_from, t.char_offset_to) for t in tokens if t.text in words]
    assert [(m.text, m.start, m.end) for m in marked] == expected


def test_a_page_s_vocabulary_is_the_union_of_its_texts_words() -> None:
    # Joined for one regex pass: words at the texts' edges must not merge or be lost.
    texts = [*TEXTS, "edge", "s", "model12", "Über lamp"]
    expected = set().union(*({t.text for t in ANALYZER.pre_tokenize(x).tokens} for x in texts))
    assert querying.page_vocabulary(texts) == expected
    assert querying.page_vocabulary(["lamp", "shade"]) == {"lamp", "shade"}
