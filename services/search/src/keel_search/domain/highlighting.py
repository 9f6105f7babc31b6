"""Which indexed words a query word matches, and the highlighted fragment of a field.

An engine that cannot highlight the typo-tolerant and prefix matches it finds uses these
rules, so what is marked is exactly what matched.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from keel_search.domain.queries import typo_budget

FRAGMENT_CHARS = 200
LEAD_CHARS = 40
ELLIPSIS = "…"


@dataclass(frozen=True)
class Token:
    """One analysed word of a field: its normalised text and where it sits in the original."""

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


class QueryMatcher:
    """The query's words with the typo and prefix rules; remembers each token's verdict,
    since a field repeats its words and a page of hits shares most of them."""

    def __init__(self, words: Sequence[str], *, last_is_prefix: bool) -> None:
        last = len(words) - 1
        self._rules = [(w, last_is_prefix and i == last) for i, w in enumerate(words)]
        self._verdicts: dict[str, bool] = {}

    def matches(self, token: str) -> bool:
        verdict = self._verdicts.get(token)
        if verdict is None:
            verdict = any(word_matches(token, w, prefix=p) for w, p in self._rules)
            self._verdicts[token] = verdict
        return verdict

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
