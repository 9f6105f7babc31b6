from __future__ import annotations

import pytest

from keel_search.adapters.fakes import tokenize
from keel_search.domain.highlighting import QueryMatcher, highlight, matching_tokens, word_matches


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
