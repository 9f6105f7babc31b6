"""``SearchIndex`` on tantivy generations in a local directory (the embedded default).

One process writes (the worker applying events), any number read (gunicorn workers, the
gRPC server), and one at a time may rebuild. How a rebuild loses no event: the writer
applies a batch to the live generation, then, under ``journal.lock``, either finds that
``CURRENT`` moved (a rebuild swapped meanwhile) and writes the batch again into the new
live generation, or appends the batch to the journal if a rebuild is running. The rebuild
replays the journal into its generation and swaps ``CURRENT`` under the same lock. Because a
change only wins over a lower version, replaying twice or out of order is harmless.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from keel_search.adapters.embedded import querying
from keel_search.adapters.embedded.generation import (
    Generation,
    GenerationWriter,
    change_from_json,
    change_to_json,
)
from keel_search.adapters.embedded.store import IndexDirectory
from keel_search.domain.products import ApplyOutcome, ProductChange, ProductDocument
from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import SearchResult
from keel_search.service_layer.ports import IndexBuilder, SearchIndex

MB = 1_000_000
WRITER_HEAP = 64 * MB
BUILDER_HEAP = 256 * MB


class EmbeddedSearchIndex(SearchIndex):
    """``refresh_seconds``: how often, at most, searches look for what other processes
    committed or swapped in (Elasticsearch's ``refresh_interval``). Each look that finds a
    commit loads a new searcher, and answers cached under the old one are dropped: with
    orders changing stock every moment, looking at every search would empty the result
    cache as fast as the worker commits. 0: every search looks. Changes applied through
    this object are seen by its next search whatever the interval."""

    def __init__(
        self,
        root: str | Path,
        builder_threads: int = 0,
        *,
        refresh_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = IndexDirectory(root)
        self._builder_threads = builder_threads
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._next_look = -math.inf
        self._lock = threading.Lock()
        self._reader: Generation | None = None
        self._writer: GenerationWriter | None = None

    def apply(self, changes: Sequence[ProductChange]) -> list[ApplyOutcome]:
        with self._lock:
            while True:
                writer = self._live_writer()
                outcomes = writer.apply(changes)
                writer.commit()
                with self.directory.journal_lock():
                    if self.directory.current() != writer.generation.name:
                        continue  # a rebuild swapped in a new generation: write there too
                    if self.directory.rebuild_in_progress():
                        self.directory.append_journal([change_to_json(c) for c in changes])
                self.look_now()
                return outcomes

    def search(self, query: SearchQuery) -> SearchResult:
        generation = self._live_reader()
        if generation is None:
            return SearchResult(hits=[], total=0, facets=[])
        return querying.search(generation.searcher(), query)

    def state_version(self) -> int | None:
        """The live generation's searcher number (``Generation.snapshot``): a swap opens
        another generation and any commit reloads the searcher, each taking a new number.
        None before the first write (nothing to cache)."""
        generation = self._live_reader()
        return None if generation is None else generation.snapshot

    def look_now(self) -> None:
        """Make the next search look for commits and swaps, whatever the interval."""
        self._next_look = -math.inf

    def document_count(self) -> int:
        generation = self._live_reader()
        return 0 if generation is None else generation.live_count()

    def owned_by(self, owner_id: UUID, limit: int) -> list[ProductDocument]:
        generation = self._live_reader()
        if generation is None:
            return []
        return generation.owned_by(owner_id, limit)

    def start_rebuild(self) -> EmbeddedIndexBuilder:
        with self.directory.journal_lock():
            lock = self.directory.take_rebuild_lock()
            self.directory.reset_journal()
        try:
            name = self.directory.new_generation()
            generation = Generation(name, self.directory.path(name))
            writer = GenerationWriter(generation, BUILDER_HEAP, self._builder_threads)
        except BaseException:
            lock.close()
            raise
        return EmbeddedIndexBuilder(self.directory, writer, lock, swapped=self.look_now)

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._reader = None

    def _live_reader(self) -> Generation | None:
        """The live generation as of the last look (``refresh_seconds``): a look reads
        ``CURRENT`` and the generation's ``meta.json``, and loads what changed."""
        reader, now = self._reader, self._monotonic()
        if reader is not None and now < self._next_look:
            return reader
        # Set before reading the files: a commit of this process that they miss is followed
        # by its ``look_now``, which then makes the next search look again.
        self._next_look = now + self._refresh_seconds
        try:
            name = self.directory.current()
            if name is None:
                return None
            if reader is None or reader.name != name:
                reader = self._reader = Generation(name, self.directory.path(name))
            reader.follow()
        except BaseException:
            self.look_now()  # an index that failed to open is tried again by the next search
            raise
        return reader

    def _live_writer(self) -> GenerationWriter:
        name = self.directory.current() or self._first_generation()
        if self._writer is None or self._writer.generation.name != name:
            if self._writer is not None:
                self._writer.close()
            self._writer = None  # the old generation's lock goes before the new one is taken
            self._writer = GenerationWriter(
                Generation(name, self.directory.path(name)), WRITER_HEAP, 1
            )
        return self._writer

    def _first_generation(self) -> str:
        with self.directory.journal_lock():
            name = self.directory.current()
            if name is None:
                name = self.directory.new_generation()
                Generation(name, self.directory.path(name))
                self.directory.publish(name)
            return name


class EmbeddedIndexBuilder(IndexBuilder):
    def __init__(
        self,
        directory: IndexDirectory,
        writer: GenerationWriter,
        lock: BinaryIO,
        swapped: Callable[[], None],
    ) -> None:
        self._directory = directory
        self._writer = writer
        self._lock = lock
        self._swapped = swapped
        self._journal_offset = 0
        self._done = False

    def add(self, documents: Sequence[ProductDocument]) -> None:
        self._writer.add_unchecked(documents)

    def finish(self) -> int:
        self._writer.commit()
        self._replay_journal()  # most of the backlog, while the live writer keeps going
        name = self._writer.generation.name
        with self._directory.journal_lock():
            self._replay_journal()
            count = self._writer.generation.live_count()
            previous = self._directory.current()
            self._writer.close()
            self._directory.publish(name)
            self._directory.reset_journal()
        self._swapped()
        self._release()
        self._directory.remove_generations(keep={name, previous or name})
        return count

    def abort(self) -> None:
        if self._done:
            return
        name = self._writer.generation.name
        try:
            self._writer.close()
        finally:
            self._release()
            if self._directory.current() != name:
                self._directory.remove_generations(keep=self._live_names())

    def _replay_journal(self) -> None:
        entries, self._journal_offset = self._directory.read_journal(self._journal_offset)
        if entries:
            self._writer.apply([change_from_json(e) for e in entries])
        self._writer.commit()

    def _release(self) -> None:
        self._done = True
        self._lock.close()

    def _live_names(self) -> set[str]:
        current = self._directory.current()
        return {current} if current else set()
