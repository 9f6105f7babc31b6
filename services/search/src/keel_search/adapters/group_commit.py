"""Group commit: concurrent ``apply`` calls share one write of the wrapped index.

The embedded engine makes a change durable with one commit (about a dozen fsyncs, ~0.1 s
on the development VM's disk, whatever the batch size), and a consumer may only ack a
message once its change is durable. One consumer thread per message would therefore cap
the worker near ten events a second. With several consumer threads handing their changes
to one committer, every commit carries whatever arrived while the previous one ran: the
first event of a quiet period is written at once, a burst is written in a few big batches.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from uuid import UUID

from keel_search.domain.products import ApplyOutcome, ProductChange, ProductDocument
from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import SearchResult
from keel_search.service_layer.ports import IndexBuilder, SearchIndex

Pending = tuple[Sequence[ProductChange], "Future[list[ApplyOutcome]]"]


class GroupCommitIndex(SearchIndex):
    def __init__(self, index: SearchIndex, max_batch: int = 500) -> None:
        self.index = index
        self.max_batch = max_batch
        self._pending: list[Pending] = []
        self._wakeup = threading.Condition()
        self._closed = False
        self._committer = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._committer.start()

    def apply(self, changes: Sequence[ProductChange]) -> list[ApplyOutcome]:
        """Blocks until the batch holding ``changes`` is written (or its write failed)."""
        done: Future[list[ApplyOutcome]] = Future()
        with self._wakeup:
            if self._closed:
                raise RuntimeError("the index is closed")
            self._pending.append((changes, done))
            self._wakeup.notify()
        return done.result()

    def search(self, query: SearchQuery) -> SearchResult:
        return self.index.search(query)

    def start_rebuild(self) -> IndexBuilder:
        return self.index.start_rebuild()

    def document_count(self) -> int:
        return self.index.document_count()

    def owned_by(self, owner_id: UUID, limit: int) -> list[ProductDocument]:
        return self.index.owned_by(owner_id, limit)

    def close(self) -> None:
        """Write what is pending and stop the committer. The wrapped index is not closed:
        its owner (``Search.close``) closes it, once, after every consumer has stopped."""
        with self._wakeup:
            self._closed = True
            self._wakeup.notify()
        self._committer.join()

    def _run(self) -> None:
        while batch := self._next_batch():
            changes = [change for part, _ in batch for change in part]
            try:
                outcomes = self.index.apply(changes)
            except Exception as exc:  # noqa: BLE001 - every waiting caller gets it and retries
                for _, done in batch:
                    done.set_exception(exc)
                continue
            start = 0
            for part, done in batch:
                done.set_result(outcomes[start : start + len(part)])
                start += len(part)

    def _next_batch(self) -> list[Pending]:
        """Everything waiting, up to ``max_batch`` changes; empty once closed and drained."""
        with self._wakeup:
            while not self._pending and not self._closed:
                self._wakeup.wait()
            batch: list[Pending] = []
            size = 0
            while self._pending and (
                not batch or size + len(self._pending[0][0]) <= self.max_batch
            ):
                entry = self._pending.pop(0)
                batch.append(entry)
                size += len(entry[0])
            return batch
