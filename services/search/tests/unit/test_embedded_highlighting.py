"""The embedded engine finds the words to mark in ASCII text by splitting it instead of with
tantivy's analyzer: both must see the same words, or a highlight would miss what the index
matched."""

from __future__ import annotations

import random

import pytest

from keel_search.adapters.embedded.generation import MAX_TOKEN, text_analyzer
from keel_search.adapters.embedded.page_words import PageWords
from keel_search.domain.highlighting import QueryMatcher

ANALYZER = text_analyzer()
TEXTS = [
    "Nordwind USB-C charger, 65W (model12_b) & 2x cables!",
    "x" * (MAX_TOKEN - 1) + " " + "y" * MAX_TOKEN + " zz",
    "  leading, trailing...  ",
    "lamp lamp\tlamp\nlamp-lamp",
    "Crème brûlée torch",  # not ASCII: tantivy's analyzer (accents folded)
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_words_are_those_of_the_index_analyzer(text: str) -> None:
    tokens = ANALYZER.pre_tokenize(text).tokens
    page = PageWords(["lamp shade", text, "Über lamp"])
    assert PageWords([text]).vocabulary() == {t.text for t in tokens}

    words = {t.text for t in tokens[::2]}
    matcher = QueryMatcher(sorted(words), last_is_prefix=False)
    marks = page.marked({w for w in page.vocabulary() if matcher.matches(w)}, matcher)
    expected = [(t.text, t.char_offset_from, t.char_offset_to) for t in tokens if t.text in words]
    assert [(m.text, m.start, m.end) for m in marks[1]] == expected


def test_a_page_s_vocabulary_is_the_union_of_its_texts_words() -> None:
    # Joined for one pass: words at the texts' edges must not merge or be lost.
    texts = [*TEXTS, "edge", "s", "model12", "Über lamp", ""]
    expected = set().union(*({t.text for t in ANALYZER.pre_tokenize(x).tokens} for x in texts))
    assert PageWords(texts).vocabulary() == expected
    assert PageWords(["lamp", "shade"]).vocabulary() == {"lamp", "shade"}


def test_each_text_gets_its_own_marks_in_its_own_offsets() -> None:
    texts = ["Lamp", "", "a lamp, the lamps", "Crème lamp", "clamp lamp"]
    page = PageWords(texts)
    matcher = QueryMatcher(["lamp", "creme"], last_is_prefix=False)
    marks = page.marked(matcher.learn(page.vocabulary()), matcher)
    assert [[(m.text, m.start, m.end) for m in found] for found in marks] == [
        [("lamp", 0, 4)],
        [],
        [("lamp", 2, 6)],
        [("creme", 0, 5), ("lamp", 6, 10)],
        [("lamp", 6, 10)],
    ]


def test_without_typos_the_matched_words_are_found_without_the_vocabulary() -> None:
    # Short words (no typo forgiven) are found with str.find: the same marks as the rule
    # run over every word of the page, prefixes and words too long to be indexed included.
    rng = random.Random(11)
    words = ["lamp", "lamps", "clamp", "la", "l", "lamp1", "12", "x" * 45, "lamp" + "p" * 40,
             "Über", "brass", "a", "AT&T", "it's"]  # fmt: skip
    marked = 0
    for _ in range(400):
        texts = [" ".join(rng.choices(words, k=rng.randint(0, 8))) for _ in range(6)]
        query = [rng.choice(["lamp", "la", "l", "12", "x", "a", "t", "it", "ub", "zz"])
                 for _ in range(rng.randint(1, 3))]  # fmt: skip
        matcher = QueryMatcher(query, last_is_prefix=rng.random() < 0.7)
        assert not matcher.forgives_typos
        page, reference = PageWords(texts), QueryMatcher(query, last_is_prefix=matcher.rules[-1][1])
        fast = page.marked(page.matched(matcher), matcher)
        assert fast == page.marked(reference.learn(page.vocabulary()), reference), (texts, query)
        marked += sum(map(len, fast))
    assert marked > 1000
