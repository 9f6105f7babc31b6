from __future__ import annotations

import html
import random
from collections.abc import Sequence

import pytest

from keel_search.adapters.fakes import tokenize
from keel_search.domain.highlighting import (
    ELLIPSIS,
    QueryMatcher,
    Token,
    _window,
    highlight,
    matching_tokens,
    word_matches,
)


@pytest.mark.parametrize(
    ("token", "word", "prefix", "expected"),
    [
        ("chair", "chair", False, True),
        ("chair", "chiar", False, True),  # transposition, 5 letters
        ("chair", "chairs", False, True),  # one insertion
        ("lamp", "lamb", False, False),  # 4 letters: typed right or not at all
        ("headphones", "headphnes", False, True),
        ("headphones", "hedphnes", False, False),  # two edits
        ("headphones", "head", True, True),
        ("headphones", "head", False, False),
        ("headphones", "haedp", True, True),  # prefix one edit away, 5 letters
        ("headphones", "haed", True, False),  # 4 letters: no typo allowed
    ],
)
def test_word_matching_follows_the_typo_and_prefix_rules(
    token: str, word: str, prefix: bool, expected: bool
) -> None:
    assert word_matches(token, word, prefix=prefix) is expected


def test_only_the_last_word_matches_as_a_prefix() -> None:
    tokens = tokenize("headphone stand for desks")
    marked = matching_tokens(tokens, ["desk", "head"], last_is_prefix=True)
    assert [t.text for t in marked] == ["headphone"]


def test_matches_are_marked_and_the_rest_is_escaped() -> None:
    text = "Lamp <script>alert(1)</script> & shade"
    fragment = highlight(text, matching_tokens(tokenize(text), ["lamp"], last_is_prefix=False))
    assert fragment == "<mark>Lamp</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; shade"


def test_nothing_marked_gives_no_fragment() -> None:
    assert highlight("Lamp", []) is None


def test_a_long_field_is_cut_around_the_first_match() -> None:
    text = " ".join(["filler"] * 60) + " brass lamp " + " ".join(["tail"] * 60)
    fragment = highlight(text, matching_tokens(tokenize(text), ["lamp"], last_is_prefix=False))
    assert fragment is not None
    assert fragment.startswith("…") and fragment.endswith("…")
    assert "<mark>lamp</mark>" in fragment
    assert len(fragment) < 260


def test_a_batch_of_words_gets_the_verdicts_of_one_word_at_a_time() -> None:
    words = ["headphones", "chair", "desk", "head", "haedp", "hedphones", "chairs", "model12"]
    tokens = [*words, "chiar", "deks", "headphone", "heaphones", "lamp", "a", "hea", "c"]
    for query, prefix in ((["chiar", "haedp"], True), (["desk", "headphnes"], False)):
        one_at_a_time = QueryMatcher(query, last_is_prefix=prefix)
        batch = QueryMatcher(query, last_is_prefix=prefix)
        matched = batch.learn(tokens)
        verdicts = {t: one_at_a_time.matches(t) for t in tokens}
        assert matched == {t for t, verdict in verdicts.items() if verdict}
        assert batch.learn(tokens[:4]) == {t for t in tokens[:4] if verdicts[t]}  # known ones
        assert {t: batch.matches(t) for t in tokens} == verdicts
        assert any(verdicts.values()) and not all(verdicts.values())


def one_edit_away(word: str, letters: str = "abdehx") -> set[str]:
    """Every string one insertion, deletion, substitution or transposition from ``word``."""
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in cuts if b}
        | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
        | {a + c + b[1:] for a, b in cuts if b for c in letters}
        | {a + c + b for a, b in cuts for c in letters}
    )


@pytest.mark.parametrize("prefix", [False, True])
def test_the_batch_finds_typos_at_every_position_even_the_first_letters(prefix: bool) -> None:
    # The batch runs the typo rule on candidates only (one of the word's first two letters
    # among the token's first two): a typo in the first letters must not be lost.
    words = ["headphones", "chair", "model12", "ab1de"]
    tokens = set().union(*(one_edit_away(w) for w in words))
    tokens |= {t + "s" for t in tokens} | {t[:4] for t in tokens} | {"zzzzz", "x", "hh"}
    for word in words:
        one_at_a_time = QueryMatcher([word], last_is_prefix=prefix)
        verdicts = {t for t in tokens if one_at_a_time.matches(t)}
        assert QueryMatcher([word], last_is_prefix=prefix).learn(tokens) == verdicts
        assert len(verdicts) > 50


def every_piece_escaped(text: str, marked: Sequence[Token]) -> str | None:
    """``highlight`` as first written: every piece through ``html.escape``."""
    if not marked:
        return None
    start, end = _window(text, marked[0].start, 200)
    parts = [ELLIPSIS] if start > 0 else []
    cursor = start
    for token in marked:
        if token.start < cursor or token.end > end:
            continue
        parts.append(html.escape(text[cursor : token.start]))
        parts.append(f"<mark>{html.escape(text[token.start : token.end])}</mark>")
        cursor = token.end
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append(ELLIPSIS)
    return "".join(parts)


def test_a_fragment_is_the_same_with_or_without_characters_to_escape() -> None:
    # ``highlight`` joins the pieces of a text with nothing to escape as they are.
    rng = random.Random(5)
    words = ["lamp", "brass", "Lamps", "a", "x" * 30, "<b>", "AT&T", '"q"', "it's", "café", "ok"]
    escaped = 0
    for _ in range(2000):
        size = rng.choice([1, 5, 20, 60])  # up to well past a fragment's 200 characters
        text = "".join(rng.choice(words) + rng.choice([" ", " ", ", ", "-"]) for _ in range(size))
        tokens = tokenize(text)
        chosen = rng.sample(tokens, rng.randint(0, min(len(tokens), 6)))
        marked = sorted(chosen, key=lambda t: t.start)
        assert highlight(text, marked) == every_piece_escaped(text, marked), (text, marked)
        escaped += any(c in text for c in "&<>\"'")
    assert 200 < escaped < 1800  # both kinds of text were compared
