"""The HTTP API's request and response models (they make the OpenAPI document too)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from keel_common.http import Schema
from keel_search.domain.queries import DEFAULT_LIMIT, MAX_CATEGORY, MAX_LIMIT, MAX_TEXT, SortOrder
from keel_search.domain.results import SearchResult


class SearchParams(Schema):
    q: str = Field(default="", max_length=MAX_TEXT, description="Words; the last may be partial")
    category: str | None = Field(default=None, max_length=MAX_CATEGORY, description="Exact name")
    min_price_cents: int | None = Field(default=None, ge=0)
    max_price_cents: int | None = Field(default=None, ge=0)
    sort: SortOrder = SortOrder.RELEVANCE
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of a page")


class HitOut(BaseModel):
    id: UUID
    title: str
    description: str
    price_cents: int
    currency: str
    category: str
    thumbnail_url: str | None = Field(
        default=None, description="The product's first image, small; null when it has none"
    )
    highlights: dict[str, str] = Field(
        description="Field name -> fragment, HTML-escaped, matched words in <mark></mark>"
    )


class FacetOut(BaseModel):
    category: str
    count: int


class SearchOut(BaseModel):
    hits: list[HitOut]
    total: int = Field(description="Every match, across all pages")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: last")
    facets: list[FacetOut] = Field(
        description="Matches per category, counted without the category filter"
    )

    @classmethod
    def of(cls, result: SearchResult) -> SearchOut:
        return cls(
            hits=[
                HitOut(
                    id=hit.product.id,
                    title=hit.product.title,
                    description=hit.product.description,
                    price_cents=hit.product.price_cents,
                    currency=hit.product.currency,
                    category=hit.product.category,
                    thumbnail_url=hit.product.thumbnail_url,
                    highlights=dict(hit.highlights),
                )
                for hit in result.hits
            ],
            total=result.total,
            next_cursor=result.next_cursor,
            facets=[FacetOut(category=f.category, count=f.count) for f in result.facets],
        )

    @staticmethod
    def json_of(result: SearchResult) -> dict[str, Any]:
        """``SearchOut.of(result).model_dump(mode="json")`` without building and validating
        a model per hit (a tenth of an uncached search): the domain's types already are the
        schema's. A test holds the two equal; change them together."""
        return {
            "hits": [
                {
                    "id": str(hit.product.id),
                    "title": hit.product.title,
                    "description": hit.product.description,
                    "price_cents": hit.product.price_cents,
                    "currency": hit.product.currency,
                    "category": hit.product.category,
                    "thumbnail_url": hit.product.thumbnail_url,
                    "highlights": dict(hit.highlights),
                }
                for hit in result.hits
            ],
            "total": result.total,
            "next_cursor": result.next_cursor,
            "facets": [{"category": f.category, "count": f.count} for f in result.facets],
        }


class DeadLetterQueueOut(BaseModel):
    queue: str = Field(description="the consumer queue")
    dead_queue: str = Field(description="where its given-up messages wait")
    dead_letters: int = Field(description="messages in dead_queue now")


class DeadLettersOut(BaseModel):
    queues: list[DeadLetterQueueOut]
