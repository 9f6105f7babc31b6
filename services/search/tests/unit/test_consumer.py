from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel_common.clock import Clock
from keel_common.messaging import DUPLICATE, Envelope, Handler, InvalidMessage
from keel_common.worker import typed_handler
from keel_search.adapters.fakes import FakeSearchIndex
from keel_search.adapters.group_commit import GroupCommitIndex
from keel_search.adapters.metrics import INDEX_LAG
from keel_search.bootstrap import PRODUCT_EVENTS
from keel_search.domain.products import ApplyOutcome, ProductChange, ProductDocument
from keel_search.entrypoints.consumer import ProductEventHandler

MakeProduct = Callable[..., ProductDocument]
ProductEvent = Callable[..., Envelope]


def product_event_handler(index: FakeSearchIndex, clock: Clock) -> Handler:
    """The handler as the worker runs it: envelopes parsed into core's product contracts."""
    return typed_handler(PRODUCT_EVENTS, ProductEventHandler(index, clock))


def lag_samples() -> float:
    return INDEX_LAG.labels("search")._sum.get()  # type: ignore[attr-defined]


def test_a_product_event_is_indexed_and_its_lag_recorded(
    make_product: MakeProduct, product_event: ProductEvent
) -> None:
    index = FakeSearchIndex()
    later = datetime.now(UTC) + timedelta(seconds=10)
    handle = product_event_handler(index, lambda: later)
    lamp = make_product(title="Brass lamp")
    before = lag_samples()
    assert handle(product_event("created", lamp)) is None
    assert index.state[lamp.id] == lamp
    assert lag_samples() - before >= 9.0


def test_stale_and_repeated_events_are_duplicates(
    make_product: MakeProduct, product_event: ProductEvent
) -> None:
    index = FakeSearchIndex()
    handle = product_event_handler(index, lambda: datetime.now(UTC))
    lamp = make_product(version=2)
    first = product_event("updated", lamp)
    assert handle(first) is None
    assert handle(first) is DUPLICATE
    assert handle(product_event("updated", make_product(id=lamp.id, version=1))) is DUPLICATE


def test_a_deleted_event_removes_the_product(
    make_product: MakeProduct, product_event: ProductEvent
) -> None:
    index = FakeSearchIndex()
    handle = product_event_handler(index, lambda: datetime.now(UTC))
    lamp = make_product()
    handle(product_event("created", lamp))
    deleted_at = (lamp.created_at + timedelta(days=1)).isoformat()
    handle(product_event("deleted", make_product(id=lamp.id, version=2), deleted_at=deleted_at))
    assert index.document_count() == 0


@pytest.mark.parametrize(
    "overrides",
    [{"version": "7"}, {"id": "not-a-uuid"}, {"created_at": "yesterday"}, {"title": None}],
)
def test_unreadable_events_are_dead_lettered(
    make_product: MakeProduct, product_event: ProductEvent, overrides: dict[str, Any]
) -> None:
    handle = product_event_handler(FakeSearchIndex(), lambda: datetime.now(UTC))
    payload = product_event("created", make_product(), **overrides)
    if overrides.get("title", "") is None:
        payload.data.pop("title")
    with pytest.raises(InvalidMessage):
        handle(payload)


class SlowIndex(FakeSearchIndex):
    """Counts writes; each takes a while, like a commit with fsyncs."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.fail = False

    def apply(self, changes: Sequence[ProductChange]) -> list[ApplyOutcome]:
        self.writes += 1
        time.sleep(0.02)
        if self.fail:
            raise OSError("disk full")
        return super().apply(changes)


def test_concurrent_changes_share_commits(make_product: MakeProduct) -> None:
    inner = SlowIndex()
    index = GroupCommitIndex(inner)
    products = [make_product() for _ in range(40)]
    outcomes: list[list[ApplyOutcome]] = []
    threads = [
        threading.Thread(target=lambda p=p: outcomes.append(index.apply([p]))) for p in products
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    index.close()
    assert outcomes == [[ApplyOutcome.APPLIED]] * 40
    assert inner.document_count() == 40
    assert inner.writes < 40


def test_a_failed_commit_fails_every_waiting_caller(make_product: MakeProduct) -> None:
    inner = SlowIndex()
    inner.fail = True
    index = GroupCommitIndex(inner)
    with pytest.raises(OSError):
        index.apply([make_product()])
    inner.fail = False
    assert index.apply([make_product()]) == [ApplyOutcome.APPLIED]
    index.close()
