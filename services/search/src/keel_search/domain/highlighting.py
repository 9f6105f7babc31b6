"""Which indexed words a query word matches, and the highlighted fragment of a field.

An engine that cannot highlight the typo-tolerant and prefix matches it finds uses these
rules, so what is marked is exactly what matched.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from keel_search.domain.queries import typo_budget

FRAGMENT_CHARS = 200
LEAD_CHARS = 40
ELLIPSIS = "…"


class Token(NamedTuple):
    """One analysed word of a field: its normalised text and where it sits in the original.
    A tuple, not a frozen dataclass: a page of hits makes a few hundred, three times faster."""

    text: str
    start: int
    end: int


def word_matches(token: str, word: str, *, prefix: bool) -> bool:
    """True when the indexed ``token`` matches the query ``word`` under the typo rule.

    With ``prefix`` (the word being typed) it is enough that the token starts with the word,
    or with a string one edit away from it for words long enough to allow a typo.
    """
    if token == word:
        return True
    edits = typo_budget(word)
    if not prefix:
        # An edit changes the length by at most one: most tokens are rejected before OSA.
        return bool(edits) and abs(len(token) - len(word)) <= edits and _near(token, word, edits)
    if token.startswith(word):
        return True
    if not edits or len(token) < len(word) - edits:
        return False
    return any(_near(token[: len(word) + delta], word, edits) for delta in (-1, 0, 1))


def _near(a: str, b: str, edits: int) -> bool:
    return OSA.distance(a, b, score_cutoff=edits) <= edits


def _batch_matches(tokens: set[str], word: str, *, prefix: bool) -> set[str]:
    """The ``tokens`` that ``word_matches(token, word, prefix=prefix)``."""
    edits = typo_budget(word)
    if not edits:
        found = {t for t in tokens if t.startswith(word)} if prefix else set()
        if word in tokens:
            found.add(word)
        return found
    size = len(word)
    if not prefix:
        # rapidfuzz's loop over every token costs less than a Python filter before it.
        found = {word} if word in tokens else set()
        choices = list(tokens)
        found.update(choices[i] for i in _within(word, choices, edits))
        return found
    pool = [t for t in tokens if len(t) >= size - edits]
    if edits == 1:
        # One edit leaves the word's first letter first, or moves it second (an insertion
        # before it), or is at the start: a substitution keeps the second letter second, a
        # deletion or a transposition brings it first. So a token (or its prefix) one edit
        # away has one of the word's first two letters among its own first two: the OSA
        # runs on those few only.
        first_two = word[:2]
        pool = [t for t in pool if t[0] in first_two or t[1:2] in first_two]
    found = {t for t in pool if t.startswith(word)}
    pool = [t for t in pool if t not in found]
    # The heads of every length, in one rapidfuzz call: head i is that of pool[i % len(pool)].
    heads = [t[:head] for head in (size - 1, size, size + 1) for t in pool]
    found.update(pool[i % len(pool)] for i in _within(word, heads, edits))
    return found


def _within(word: str, choices: list[str], edits: int) -> list[int]:
    """Indexes of the ``choices`` at most ``edits`` OSA edits from ``word``."""
    hits = process.extract(word, choices, scorer=OSA.distance, score_cutoff=edits, limit=None)
    return [index for _, _, index in hits]


class QueryMatcher:
    """The query's words with the typo and prefix rules; remembers each token's verdict,
    since a field repeats its words and a page of hits shares most of them."""

    def __init__(self, words: Sequence[str], *, last_is_prefix: bool) -> None:
        last = len(words) - 1
        self._rules = [(w, last_is_prefix and i == last) for i, w in enumerate(words)]
        self._verdicts: dict[str, bool] = {}

    @property
    def rules(self) -> list[tuple[str, bool]]:
        """Each query word and whether it may match as a prefix."""
        return self._rules

    @property
    def forgives_typos(self) -> bool:
        """True when some word may match with a typo (it is long enough)."""
        return any(typo_budget(word) for word, _ in self._rules)

    def matches(self, token: str) -> bool:
        verdict = self._verdicts.get(token)
        if verdict is None:
            verdict = any(word_matches(token, w, prefix=p) for w, p in self._rules)
            self._verdicts[token] = verdict
        return verdict

    def learn(self, tokens: Iterable[str]) -> set[str]:
        """Decide every new token at once: the same verdicts as ``matches``, with the
        typo rule run by rapidfuzz over the whole batch (a page's few hundred distinct
        words) instead of one Python call per token and word. Returns the ``tokens`` that
        match."""
        tokens = set(tokens)
        new = tokens.difference(self._verdicts)
        matched: set[str] = set()
        for word, prefix in self._rules:
            matched.update(_batch_matches(new, word, prefix=prefix))
        self._verdicts.update(dict.fromkeys(new, False))
        self._verdicts.update(dict.fromkeys(matched, True))
        return matched | {t for t in tokens - new if self._verdicts[t]}

    def marked(self, tokens: Sequence[Token]) -> list[Token]:
        """The tokens some query word matches."""
        return [t for t in tokens if self.matches(t.text)]


def matching_tokens(
    tokens: Sequence[Token], words: Sequence[str], *, last_is_prefix: bool
) -> list[Token]:
    """The tokens that some query word matches (only the last word may match as a prefix)."""
    return QueryMatcher(words, last_is_prefix=last_is_prefix).marked(tokens)


def highlight(text: str, marked: Sequence[Token], max_chars: int = FRAGMENT_CHARS) -> str | None:
    """An HTML-escaped fragment of ``text`` around the first marked token, each in <mark>.

    None when nothing is marked. Cuts fall between words and are shown with an ellipsis.
    """
    if not marked:
        return None
    start, end = _window(text, marked[0].start, max_chars)
    # html.escape changes nothing but these five characters: most texts are their own escape.
    needs_escape = "&" in text or "<" in text or ">" in text or '"' in text or "'" in text
    escape = html.escape if needs_escape else str
    parts = [ELLIPSIS] if start > 0 else []
    cursor = start
    for _, first, last in marked:
        if first < cursor or last > end:
            continue
        parts += (escape(text[cursor:first]), "<mark>", escape(text[first:last]), "</mark>")
        cursor = last
    parts.append(escape(text[cursor:end]))
    if end < len(text):
        parts.append(ELLIPSIS)
    return "".join(parts)


def _window(text: str, first: int, max_chars: int) -> tuple[int, int]:
    if len(text) <= max_chars:
        return 0, len(text)
    start = max(0, first - LEAD_CHARS)
    if start > 0:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else first
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    return start, end
