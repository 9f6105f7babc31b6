"""What a search answers: a page of hits, the total, and counts per category."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from keel_search.domain.products import ProductDocument


@dataclass(frozen=True)
class SearchHit:
    """One matching product and, per text field, a fragment with the matches in <mark>."""

    product: ProductDocument
    highlights: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """``facets`` count every match of the text and price filters per category, ignoring the
    category filter itself, so a client can offer the other categories next to the chosen one.
    """

    hits: list[SearchHit]
    total: int
    facets: list[CategoryCount]
    next_cursor: str | None = None
