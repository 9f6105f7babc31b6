"""The product read cache over a shared key-value store: Redis, or a SQLite file.

``service_layer.caching`` explains the protocol (values tagged with a generation; a write
replaces the generation after it commits). This module keeps it correct when the store
fails: a read that cannot reach it is a miss without a generation (so nothing is filled),
and the store is not asked again for ``RETRY_AFTER`` seconds (one slow timeout, not one per
request); an invalidation that cannot reach it is remembered and replayed before this
process trusts the store again. Which store: ``create_product_cache`` in bootstrap.
"""

from __future__ import annotations

import abc
import logging
import secrets
import threading
import time
from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from keel_core.adapters.metrics import PRODUCT_CACHE_INVALIDATIONS, PRODUCT_CACHE_READS
from keel_core.domain.products import ProductSnapshot
from keel_core.service_layer.caching import Lookup, ProductCache, ProductDocument

log = logging.getLogger(__name__)

RETRY_AFTER = 1.0
PAGE_GENERATION = "keel:core:first-page:gen"
_ONE = TypeAdapter(ProductSnapshot)
_MANY = TypeAdapter(list[ProductSnapshot])


class CacheUnavailable(Exception):
    """The store did not answer (connection refused, timeout, locked file)."""


class KeyValueStore(abc.ABC):
    """The few operations the cache needs; every one raises ``CacheUnavailable`` on failure."""

    @abc.abstractmethod
    def get_many(self, keys: list[str]) -> list[bytes | None]: ...

    @abc.abstractmethod
    def set_many(self, values: dict[str, bytes], ttl: float) -> None: ...

    @abc.abstractmethod
    def setdefault(self, key: str, value: bytes, ttl: float) -> bytes:
        """Store ``value`` unless ``key`` holds one; return what ``key`` holds afterwards."""


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


_READS: dict[tuple[str, str], Any] = {}


def _count(kind: str, result: str) -> None:
    """``PRODUCT_CACHE_READS`` by kind and result, the labelled child looked up once."""
    child = _READS.get((kind, result))
    if child is None:
        child = _READS[kind, result] = PRODUCT_CACHE_READS.labels(kind, result)
    child.inc()


def _token() -> bytes:
    return secrets.token_hex(8).encode()


class GenerationalProductCache(ProductCache):
    def __init__(self, store: KeyValueStore, ttl: float = 300.0) -> None:
        self.store = store
        self.ttl = ttl
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._lost: set[UUID] = set()  # invalidations to replay before the next read

    def product(self, product_id: UUID) -> Lookup[ProductSnapshot]:
        return self._read("product", *_product_keys(product_id), _ONE)

    def fill_product(self, lookup: Lookup[ProductSnapshot], product: ProductSnapshot) -> None:
        self._fill(_product_keys(product.id)[0], lookup.generation, _ONE.dump_json(product))

    def first_page(self, limit: int) -> Lookup[list[ProductSnapshot]]:
        return self._read("first_page", _page_key(limit), PAGE_GENERATION, _MANY)

    def fill_first_page(
        self, lookup: Lookup[list[ProductSnapshot]], limit: int, rows: list[ProductSnapshot]
    ) -> None:
        self._fill(_page_key(limit), lookup.generation, _MANY.dump_json(rows))

    def product_document(self, product_id: UUID) -> Lookup[ProductDocument]:
        key, generation_key = _product_keys(product_id)
        return self._read("product_document", key + ":doc", generation_key, _DOCUMENT)

    def fill_product_document(
        self, lookup: Lookup[ProductDocument], product_id: UUID, document: ProductDocument
    ) -> None:
        payload = b"%d\n%b" % (document.version, document.body)
        self._fill(_product_keys(product_id)[0] + ":doc", lookup.generation, payload)

    def first_page_document(self, limit: int) -> Lookup[bytes]:
        return self._read("first_page_document", _page_key(limit) + ":doc", PAGE_GENERATION, _RAW)

    def fill_first_page_document(self, lookup: Lookup[bytes], limit: int, body: bytes) -> None:
        self._fill(_page_key(limit) + ":doc", lookup.generation, body)

    def invalidate(self, product_ids: Collection[UUID]) -> None:
        with self._lock:
            ids = self._lost | set(product_ids)
        generations = {_product_keys(i)[1]: _token() for i in ids}
        generations[PAGE_GENERATION] = _token()
        try:
            self.store.set_many(generations, 2 * self.ttl)
        except CacheUnavailable as exc:
            PRODUCT_CACHE_INVALIDATIONS.labels("failed").inc()
            log.warning("product cache invalidation failed; replayed later", extra={"error": exc})
            with self._lock:
                self._lost = ids
                self._retry_at = time.monotonic() + RETRY_AFTER
            return
        PRODUCT_CACHE_INVALIDATIONS.labels("done").inc()
        with self._lock:
            self._lost -= ids

    def _read(
        self, kind: str, key: str, generation_key: str, adapter: TypeAdapter[Any] | _Raw
    ) -> Any:
        if not self._usable():
            _count(kind, "unavailable")
            return Lookup(None)
        try:
            value, generation = self.store.get_many([key, generation_key])
            if generation is None:
                generation = self.store.setdefault(generation_key, _token(), 2 * self.ttl)
        except CacheUnavailable:
            self._trip()
            _count(kind, "unavailable")
            return Lookup(None)
        tag = generation + b"\n"
        if value is not None and value.startswith(tag):
            _count(kind, "hit")
            return Lookup(adapter.validate_json(value[len(tag) :]))
        _count(kind, "miss")
        return Lookup(None, generation.decode())

    def _fill(self, key: str, generation: str | None, payload: bytes) -> None:
        if generation is None:
            return
        try:
            self.store.set_many({key: generation.encode() + b"\n" + payload}, self.ttl)
        except CacheUnavailable:
            self._trip()

    def _usable(self) -> bool:
        """False while backing off after a failure, or while lost invalidations fail again."""
        if time.monotonic() < self._retry_at:
            return False
        if self._lost:
            self.invalidate(())
            return not self._lost
        return True

    def _trip(self) -> None:
        self._retry_at = time.monotonic() + RETRY_AFTER
