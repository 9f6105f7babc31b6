"""In-memory implementations of every port, for unit tests and quick experiments.

``FakeSearchIndex`` follows the domain's matching and version rules but ranks naively
(exact title matches first); real relevance is the engines' job and their conformance
suite's. ``FakeUnitOfWork`` works on a copy of the committed state, like a transaction.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from uuid import UUID

from keel_events import Event
from keel_search.domain.errors import RebuildInProgress
from keel_search.domain.highlighting import Token, highlight, matching_tokens
from keel_search.domain.products import (
    ApplyOutcome,
    ProductChange,
    ProductDocument,
    supersedes,
)
from keel_search.domain.queries import SearchQuery, SortOrder
from keel_search.domain.rebuilds import RebuildJob
from keel_search.domain.results import CategoryCount, SearchHit, SearchResult
from keel_search.service_layer.ports import (
    IndexBuilder,
    ProductSource,
    RebuildJobRepository,
    SearchIndex,
    UnitOfWork,
)

TEXT_FIELDS = ("title", "description", "category")
_WORD = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[Token]:
    return [Token(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _apply(state: dict[UUID, ProductChange], change: ProductChange) -> ApplyOutcome:
    current = state.get(change.id)
    if not supersedes(change, None if current is None else current.version):
        return ApplyOutcome.STALE
    state[change.id] = change
    return ApplyOutcome.APPLIED


class FakeIndexBuilder(IndexBuilder):
    def __init__(self, index: FakeSearchIndex) -> None:
        self.index = index
        self.state: dict[UUID, ProductChange] = {}
        self.finished = self.aborted = False

    def add(self, documents: Sequence[ProductDocument]) -> None:
        for document in documents:
            _apply(self.state, document)

    def finish(self) -> int:
        if self.index.fail_finish:
            raise RuntimeError("disk full")
        self.index.state, self.index.builder = self.state, None
        self.index.version += 1
        self.finished = True
        return self.index.document_count()

    def abort(self) -> None:
        if self.index.builder is self:
            self.index.builder = None
        self.aborted = True


class FakeSearchIndex(SearchIndex):
    def __init__(self) -> None:
        self.state: dict[UUID, ProductChange] = {}
        self.builder: FakeIndexBuilder | None = None
        self.fail_finish = False
        self.closes = 0  # a double close once hid behind an index that tolerates it
        self.version = 1  # grows with every apply and swap, as state_version promises
        self.searches = 0

    def close(self) -> None:
        self.closes += 1

    def apply(self, changes: Sequence[ProductChange]) -> list[ApplyOutcome]:
        outcomes = [_apply(self.state, change) for change in changes]
        self.version += 1
        if self.builder is not None:
            for change in changes:
                _apply(self.builder.state, change)
        return outcomes

    def start_rebuild(self) -> FakeIndexBuilder:
        if self.builder is not None:
            raise RebuildInProgress()
        self.builder = FakeIndexBuilder(self)
        return self.builder

    def document_count(self) -> int:
        return len(self._live())

    def state_version(self) -> int:
        return self.version

    def search(self, query: SearchQuery) -> SearchResult:
        self.searches += 1
        words = [t.text for t in tokenize(query.text)]
        matched = [
            (doc, marks) for doc in self._live() if (marks := _marks(doc, words, query)) is not None
        ]
        matched = [m for m in matched if _in_price_range(m[0], query)]
        facets = Counter(doc.category for doc, _ in matched)
        if query.category is not None:
            matched = [m for m in matched if m[0].category == query.category]
        matched.sort(key=lambda m: _sort_key(m[0], m[1], query.effective_sort))
        page = matched[query.offset : query.offset + query.limit]
        return SearchResult(
            hits=[SearchHit(doc, _highlights(doc, marks)) for doc, marks in page],
            total=len(matched),
            facets=[CategoryCount(c, n) for c, n in sorted(facets.items(), key=lambda i: -i[1])],
        )

    def owned_by(self, owner_id: UUID, limit: int) -> list[ProductDocument]:
        return [d for d in self._live() if d.owner_id == owner_id][:limit]

    def _live(self) -> list[ProductDocument]:
        return [c for c in self.state.values() if isinstance(c, ProductDocument)]


def _marks(
    doc: ProductDocument, words: list[str], query: SearchQuery
) -> dict[str, list[Token]] | None:
    """Per field, the tokens the query matched; None when some word matched nowhere."""
    fields = {name: tokenize(getattr(doc, name)) for name in TEXT_FIELDS}
    for i, word in enumerate(words):
        prefix = query.last_word_is_prefix and i == len(words) - 1
        if not any(matching_tokens(t, [word], last_is_prefix=prefix) for t in fields.values()):
            return None
    return {
        name: matching_tokens(toks, words, last_is_prefix=query.last_word_is_prefix)
        for name, toks in fields.items()
    }


def _in_price_range(doc: ProductDocument, query: SearchQuery) -> bool:
    low, high = query.min_price_cents, query.max_price_cents
    return (low is None or doc.price_cents >= low) and (high is None or doc.price_cents <= high)


def _sort_key(doc: ProductDocument, marks: dict[str, list[Token]], sort: SortOrder) -> tuple:
    if sort is SortOrder.NEWEST:
        return (-doc.created_at.timestamp(), str(doc.id))
    if sort is SortOrder.PRICE_ASC:
        return (doc.price_cents, str(doc.id))
    if sort is SortOrder.PRICE_DESC:
        return (-doc.price_cents, str(doc.id))
    return (-3 * len(marks.get("title", [])) - len(marks.get("description", [])), str(doc.id))


def _highlights(doc: ProductDocument, marks: dict[str, list[Token]]) -> dict[str, str]:
    fragments = {name: highlight(getattr(doc, name), toks) for name, toks in marks.items()}
    return {name: fragment for name, fragment in fragments.items() if fragment}


class FakeProductSource(ProductSource):
    """A catalogue held in a list; ``fail_after`` breaks the stream like a dropped connection."""

    def __init__(self, products: Iterable[ProductDocument] = ()) -> None:
        self.products = list(products)
        self.fail_after: int | None = None

    def stream(self) -> Iterator[ProductDocument]:
        for count, product in enumerate(self.products):
            if self.fail_after is not None and count >= self.fail_after:
                raise ConnectionError("catalogue stream broke")
            yield product


class FakeRebuildJobRepository(RebuildJobRepository):
    def __init__(self, jobs: dict[UUID, RebuildJob]) -> None:
        self.rows = jobs

    def add(self, job: RebuildJob) -> None:
        self.rows[job.id] = job

    def get(self, job_id: UUID) -> RebuildJob | None:
        return self.rows.get(job_id)

    def running(self) -> list[RebuildJob]:
        return [job for job in self.rows.values() if job.is_running]

    def latest(self) -> RebuildJob | None:
        return max(self.rows.values(), key=lambda job: job.started_at, default=None)


class FakeUnitOfWork(UnitOfWork):
    rebuild_jobs: FakeRebuildJobRepository

    def __init__(self) -> None:
        self.committed: dict[UUID, RebuildJob] = {}
        self.commits = 0
        #: What committed work published (erasure reports).
        self.events: list[Event] = []
        self._pending: list[Event] = []

    def __enter__(self) -> FakeUnitOfWork:
        self.rebuild_jobs = FakeRebuildJobRepository(copy.deepcopy(self.committed))
        self._pending = []
        return self

    def publish(self, event: Event) -> None:
        self._pending.append(event)

    def commit(self) -> None:
        self.committed = copy.deepcopy(self.rebuild_jobs.rows)
        self.commits += 1
        self.events.extend(self._pending)
        self._pending = []

    def rollback(self) -> None:
        self.rebuild_jobs = FakeRebuildJobRepository(copy.deepcopy(self.committed))
        self._pending = []
