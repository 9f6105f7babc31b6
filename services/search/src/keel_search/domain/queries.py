"""A product search request, checked once, and the opaque cursor that pages through it."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
from dataclasses import dataclass

from keel_search.domain.errors import FieldError, InvalidQuery

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_TEXT = 256
# Each word becomes clauses (exact, prefix, fuzzy) in both engines: 256 one-letter words
# would make a query hundreds of clauses wide for one cheap request (issue #11).
MAX_WORDS = 10
MAX_CATEGORY = 64
# Offset paging costs grow with depth in every engine; OpenSearch refuses past 10,000
# (index.max_result_window), so both engines stop at the same depth.
MAX_WINDOW = 10_000
# Meilisearch's rule: short words must be typed right, one edit is forgiven from 5 letters.
TYPO_MIN_LENGTH = 5


class SortOrder(enum.StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"


def typo_budget(word: str) -> int:
    """How many edits (insert, delete, substitute, transpose) a query word may be off by."""
    return 1 if len(word) >= TYPO_MIN_LENGTH else 0


@dataclass(frozen=True)
class SearchQuery:
    """A valid search: build it with ``SearchQuery.parse``; engines trust its fields."""

    text: str = ""
    category: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    sort: SortOrder = SortOrder.RELEVANCE
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @classmethod
    def parse(
        cls,
        text: str | None = None,
        category: str | None = None,
        min_price_cents: int | None = None,
        max_price_cents: int | None = None,
        sort: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> SearchQuery:
        """Check every parameter and raise ``InvalidQuery`` naming all the bad ones."""
        errors = _check_filters(text or "", category, min_price_cents, max_price_cents)
        sort_order = _sort_order(sort, errors)
        limit = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_LIMIT:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
        if errors:
            raise InvalidQuery(errors)
        query = cls(
            text=text or "",
            category=category or None,
            min_price_cents=min_price_cents,
            max_price_cents=max_price_cents,
            sort=sort_order,
            limit=limit,
        )
        if cursor:
            query = query._at(decode_cursor(cursor, query.fingerprint))
        return query

    @property
    def has_text(self) -> bool:
        return bool(self.text.strip())

    @property
    def last_word_is_prefix(self) -> bool:
        """True while the user is still typing the last word (no trailing space yet)."""
        return self.has_text and not self.text[-1].isspace()

    @property
    def effective_sort(self) -> SortOrder:
        """Relevance means nothing without words: such a search lists the newest first."""
        if self.sort is SortOrder.RELEVANCE and not self.has_text:
            return SortOrder.NEWEST
        return self.sort

    @property
    def fingerprint(self) -> str:
        """Identifies everything but the page, so a cursor only works for its own search."""
        key = [self.text, self.category, self.min_price_cents, self.max_price_cents, self.sort]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:12]

    def next_cursor(self, total: int) -> str | None:
        """The cursor of the page after this one, or None on the last reachable page."""
        offset = self.offset + self.limit
        if offset >= total or offset + self.limit > MAX_WINDOW:
            return None
        return encode_cursor(offset, self.fingerprint)

    def _at(self, offset: int) -> SearchQuery:
        if offset + self.limit > MAX_WINDOW:
            raise InvalidQuery([FieldError("cursor", f"pages end after {MAX_WINDOW} results")])
        return SearchQuery(
            self.text,
            self.category,
            self.min_price_cents,
            self.max_price_cents,
            self.sort,
            self.limit,
            offset,
        )


def _check_filters(
    text: str, category: str | None, low: int | None, high: int | None
) -> list[FieldError]:
    errors = []
    if len(text) > MAX_TEXT:
        errors.append(FieldError("q", f"must be at most {MAX_TEXT} characters"))
    elif len(text.split()) > MAX_WORDS:
        errors.append(FieldError("q", f"must be at most {MAX_WORDS} words"))
    if category is not None and len(category) > MAX_CATEGORY:
        errors.append(FieldError("category", f"must be at most {MAX_CATEGORY} characters"))
    for name, value in (("min_price_cents", low), ("max_price_cents", high)):
        if value is not None and value < 0:
            errors.append(FieldError(name, "must not be negative"))
    if low is not None and high is not None and low > high:
        errors.append(FieldError("max_price_cents", "must not be below min_price_cents"))
    return errors


def _sort_order(sort: str | None, errors: list[FieldError]) -> SortOrder:
    if not sort:
        return SortOrder.RELEVANCE
    try:
        return SortOrder(sort)
    except ValueError:
        allowed = ", ".join(s.value for s in SortOrder)
        errors.append(FieldError("sort", f"must be one of {allowed}"))
        return SortOrder.RELEVANCE


def encode_cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    """The offset a cursor points at; ``InvalidQuery`` if forged, corrupt or from another search."""
    invalid = InvalidQuery([FieldError("cursor", "is not a cursor of this search")])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not isinstance(data, dict) or data.get("f") != fingerprint:
        raise invalid
    offset = data.get("o")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise invalid
    return offset
