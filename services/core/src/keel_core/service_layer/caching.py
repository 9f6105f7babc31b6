"""The product read cache as the use cases see it: a port and the read-through protocol.

Every cached value is tagged with the *generation* of what it depends on (one product, or
the first page of the list). A write that changes a product replaces those generations with
fresh random tokens right after its transaction commits -- in the unit of work's ``commit``,
the code path that stages the product's event -- so a value filled from an older read no
longer matches and is a miss. The reader fetches the generation *before* it reads the
database, which is what makes this safe against the race a plain delete-on-write loses: a
slow reader that read the old row before the commit fills it under the old generation, and
nobody will ever serve it. The time-to-live is only a backstop for invalidations lost while
the cache was unreachable.
"""

from __future__ import annotations

import abc
from collections.abc import Collection
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from keel_core.domain.products import ProductSnapshot

T = TypeVar("T")


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """What one cache read found: the value on a hit; on a miss, the generation to fill under
    (None when the cache could not be asked: then the caller must not fill)."""

    value: T | None
    generation: str | None = None

    @property
    def hit(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class ProductDocument:
    """A product as the HTTP API renders it: the response body, and the version (its ETag)."""

    version: int
    body: bytes


class ProductCache(abc.ABC):
    """Products and the first page of the list, as the database had them at some generation.

    Implementations never raise for an unreachable store: a read is then a miss without a
    generation, a fill is skipped, and the use case answers from the database.
    """

    @abc.abstractmethod
    def product(self, product_id: UUID) -> Lookup[ProductSnapshot]: ...

    @abc.abstractmethod
    def fill_product(self, lookup: Lookup[ProductSnapshot], product: ProductSnapshot) -> None: ...

    @abc.abstractmethod
    def first_page(self, limit: int) -> Lookup[list[ProductSnapshot]]:
        """The newest ``limit`` (+1, to tell whether a next page exists) live products."""

    @abc.abstractmethod
    def fill_first_page(
        self, lookup: Lookup[list[ProductSnapshot]], limit: int, rows: list[ProductSnapshot]
    ) -> None: ...

    @abc.abstractmethod
    def invalidate(self, product_ids: Collection[UUID]) -> None:
        """Called after a commit that changed ``product_ids`` (and so, maybe, the list)."""

    # Rendered copies (the HTTP bodies), under the same generations as the values above: a
    # hit is the bytes to answer with, no row, no model. A cache without them never hits.
    def product_document(self, product_id: UUID) -> Lookup[ProductDocument]:
        return Lookup(None)

    def fill_product_document(
        self, lookup: Lookup[ProductDocument], product_id: UUID, document: ProductDocument
    ) -> None:
        return None

    def first_page_document(self, limit: int) -> Lookup[bytes]:
        return Lookup(None)

    def fill_first_page_document(self, lookup: Lookup[bytes], limit: int, body: bytes) -> None:
        return None


class NoProductCache(ProductCache):
    """Every read is a miss that is never filled: the use cases read the database."""

    def product(self, product_id: UUID) -> Lookup[ProductSnapshot]:
        return Lookup(None)

    def fill_product(self, lookup: Lookup[ProductSnapshot], product: ProductSnapshot) -> None:
        return None

    def first_page(self, limit: int) -> Lookup[list[ProductSnapshot]]:
        return Lookup(None)

    def fill_first_page(
        self, lookup: Lookup[list[ProductSnapshot]], limit: int, rows: list[ProductSnapshot]
    ) -> None:
        return None

    def invalidate(self, product_ids: Collection[UUID]) -> None:
        return None
