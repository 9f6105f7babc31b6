"""The ports the use cases need: the search index, core's catalogue, the rebuild log.

Adapters implement them (``adapters.embedded``, ``adapters.opensearch_index``,
``adapters.catalog``, ``adapters.orm``, ``adapters.result_cache``); unit tests use
``adapters.fakes``.
"""

from __future__ import annotations

import abc
from collections.abc import Hashable, Iterator, Sequence
from uuid import UUID

from keel_common.unit_of_work import AbstractUnitOfWork
from keel_events import Event
from keel_search.domain.products import ApplyOutcome, ProductChange, ProductDocument
from keel_search.domain.queries import SearchQuery
from keel_search.domain.rebuilds import RebuildJob
from keel_search.domain.results import SearchResult


class IndexBuilder(abc.ABC):
    """A new index being filled while the live one keeps serving; swapped in by ``finish``."""

    @abc.abstractmethod
    def add(self, documents: Sequence[ProductDocument]) -> None:
        """Add live products from the catalogue stream; each id at most once per rebuild."""

    @abc.abstractmethod
    def finish(self) -> int:
        """Catch up with every change applied to the live index since the rebuild began,
        then make the new index the live one atomically; returns its live document count."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop the new index; the live one is untouched. Safe after a failed ``finish``."""


class SearchIndex(abc.ABC):
    """The product search index (one conformance suite holds every implementation to this)."""

    @abc.abstractmethod
    def apply(self, changes: Sequence[ProductChange]) -> list[ApplyOutcome]:
        """Apply each change whose version is above the one indexed for its product.

        Tombstones keep their version, so an older update never brings a deleted product
        back. Applied changes are searchable when this returns, and reach an index being
        rebuilt as well. The outcomes are in the order of ``changes``.
        """

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """One page of live products matching ``query`` (``next_cursor`` left to the caller).

        Every word must match title, description or category; the last one may be a prefix
        while typed; a word of 5+ letters may be one edit off. No text input raises.
        """

    @abc.abstractmethod
    def start_rebuild(self) -> IndexBuilder:
        """Begin a rebuild; raises ``RebuildInProgress`` when one is already running."""

    @abc.abstractmethod
    def document_count(self) -> int:
        """How many live products the index holds."""

    @abc.abstractmethod
    def owned_by(self, owner_id: UUID, limit: int) -> list[ProductDocument]:
        """Up to ``limit`` live products of ``owner_id`` (an account erasure removes them)."""

    def state_version(self) -> int | None:
        """A number naming the state ``search`` answers from now, or None when the engine
        cannot name it (its answers are then never cached).

        It changes with everything that could change an answer (a commit by any process, a
        rebuild swapped in, a merge, each once this process has seen it: an engine may look
        for other processes' changes only so often) and only grows within a process. A
        ``search`` called after this answers from that state or a newer one, never an older
        one.
        """
        return None

    def close(self) -> None:  # noqa: B027 - most indexes hold nothing to release
        """Release files and connections."""


class ResultCache(abc.ABC):
    """Rendered search answers kept by one process, each under the ``state_version`` of
    the index it was made from; an answer is only ever served for that exact version."""

    @abc.abstractmethod
    def get(self, version: int, key: Hashable) -> bytes | None:
        """The answer kept for ``key`` at ``version``, or None (counted as a hit or miss)."""

    @abc.abstractmethod
    def put(self, version: int, key: Hashable, answer: bytes) -> None:
        """Keep ``answer`` within the cache's bounds. A version above every one seen before
        drops the older answers (no request can match them again); an answer made at an
        older version than the newest seen is not kept."""


class ProductSource(abc.ABC):
    """Core's catalogue, as a rebuild reads it."""

    @abc.abstractmethod
    def stream(self) -> Iterator[ProductDocument]:
        """Every live product, each once, without loading them all in memory."""


class RebuildJobRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, job: RebuildJob) -> None: ...

    @abc.abstractmethod
    def get(self, job_id: UUID) -> RebuildJob | None: ...

    @abc.abstractmethod
    def running(self) -> list[RebuildJob]:
        """Jobs still marked running."""

    @abc.abstractmethod
    def latest(self) -> RebuildJob | None:
        """The job started last, whatever its status."""


class UnitOfWork(AbstractUnitOfWork):
    @abc.abstractmethod
    def publish(self, event: Event) -> None:
        """Queue an event, stored in the outbox if and only if this work commits."""

    """One transaction on the search service's own database."""

    rebuild_jobs: RebuildJobRepository
