"""The product read cache over a shared key-value store: Redis, or a SQLite file.

``service_layer.caching`` explains the protocol; ``keel_common.cache.GenerationalCache``
keeps it correct when the store fails (a miss without a generation, a back-off, lost
invalidations replayed). This module names what core caches: a product and the first page of
the list, as values and as rendered bodies. Which store: ``create_product_cache`` in bootstrap.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from keel_common.cache import GenerationalCache, KeyValueStore, NearCopies
from keel_common.metrics import labelled_once
from keel_core.adapters.metrics import PRODUCT_CACHE_INVALIDATIONS, PRODUCT_CACHE_READS
from keel_core.domain.products import ProductSnapshot
from keel_core.service_layer.caching import Lookup, ProductCache, ProductDocument

PAGE_GENERATION = "keel:core:first-page:gen"
NEAR_PREFIX = "keel:core:product-copies"  # the leases' keys and channel (keel_common.cache.near)
_ONE = TypeAdapter(ProductSnapshot)
_MANY = TypeAdapter(list[ProductSnapshot])


def _product_keys(product_id: UUID) -> tuple[str, str]:
    return f"keel:core:product:{product_id}", f"keel:core:product:{product_id}:gen"


def _page_key(limit: int) -> str:
    return f"keel:core:first-page:{limit}"


def _document(payload: bytes) -> ProductDocument:
    version, _, body = payload.partition(b"\n")
    return ProductDocument(int(version), body)


class _Raw:
    """The "adapter" of a value stored as the bytes it is, or parsed by ``parse``."""

    def __init__(self, parse: Callable[[bytes], Any] | None = None) -> None:
        self.parse = parse

    def validate_json(self, payload: bytes) -> Any:
        return self.parse(payload) if self.parse else payload


_DOCUMENT = _Raw(_document)
_RAW = _Raw()


_READS = labelled_once(PRODUCT_CACHE_READS.labels)


def _count(kind: str, result: str) -> None:
    """``PRODUCT_CACHE_READS`` by kind and result, the labelled child looked up once."""
    _READS(kind, result).inc()


def _count_invalidation(result: str) -> None:
    PRODUCT_CACHE_INVALIDATIONS.labels(result).inc()


class GenerationalProductCache(ProductCache):
    def __init__(
        self, store: KeyValueStore, ttl: float = 300.0, near: NearCopies | None = None
    ) -> None:
        self._cache = GenerationalCache(
            store, ttl, on_read=_count, on_invalidation=_count_invalidation, near=near
        )
        self.store = store

    def product(self, product_id: UUID) -> Lookup[ProductSnapshot]:
        return self._read("product", *_product_keys(product_id), _ONE)

    def fill_product(self, lookup: Lookup[ProductSnapshot], product: ProductSnapshot) -> None:
        self._cache.fill(_product_keys(product.id)[0], lookup.generation, _ONE.dump_json(product))

    def first_page(self, limit: int) -> Lookup[list[ProductSnapshot]]:
        return self._read("first_page", _page_key(limit), PAGE_GENERATION, _MANY)

    def fill_first_page(
        self, lookup: Lookup[list[ProductSnapshot]], limit: int, rows: list[ProductSnapshot]
    ) -> None:
        self._cache.fill(_page_key(limit), lookup.generation, _MANY.dump_json(rows))

    def product_document(self, product_id: UUID) -> Lookup[ProductDocument]:
        key, generation_key = _product_keys(product_id)
        return self._read("product_document", key + ":doc", generation_key, _DOCUMENT)

    def fill_product_document(
        self, lookup: Lookup[ProductDocument], product_id: UUID, document: ProductDocument
    ) -> None:
        payload = b"%d\n%b" % (document.version, document.body)
        self._cache.fill(_product_keys(product_id)[0] + ":doc", lookup.generation, payload)

    def first_page_document(self, limit: int) -> Lookup[bytes]:
        return self._read("first_page_document", _page_key(limit) + ":doc", PAGE_GENERATION, _RAW)

    def fill_first_page_document(self, lookup: Lookup[bytes], limit: int, body: bytes) -> None:
        self._cache.fill(_page_key(limit) + ":doc", lookup.generation, body)

    def invalidate(self, product_ids: Collection[UUID]) -> None:
        # The first page may show any product: every change replaces its generation too.
        self._cache.invalidate({*(_product_keys(i)[1] for i in product_ids), PAGE_GENERATION})

    def _read(
        self, kind: str, key: str, generation_key: str, adapter: TypeAdapter[Any] | _Raw
    ) -> Any:
        entry = self._cache.read(kind, key, generation_key)
        if entry.payload is not None:
            return Lookup(adapter.validate_json(entry.payload))
        return Lookup(None, entry.generation)
