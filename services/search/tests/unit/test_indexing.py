from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from keel_search.adapters.fakes import FakeSearchIndex
from keel_search.domain.commands import ApplyProductChange
from keel_search.domain.products import ApplyOutcome, ProductDocument, ProductTombstone
from keel_search.domain.queries import SearchQuery
from keel_search.service_layer.indexing import apply_product_changes
from keel_search.service_layer.searching import search_products

Clock = Callable[[], datetime]


def apply(index: FakeSearchIndex, clock: Clock, *changes: object) -> list[ApplyOutcome]:
    commands = [ApplyProductChange(change, clock()) for change in changes]  # type: ignore[arg-type]
    return [report.outcome for report in apply_product_changes(commands, index, clock)]


def titles(index: FakeSearchIndex, text: str = "") -> list[str]:
    result = search_products(SearchQuery.parse(text=text), index)
    return [hit.product.title for hit in result.hits]


def test_a_new_product_becomes_searchable(index, clock, make_product) -> None:
    assert apply(index, clock, make_product(title="Brass lamp")) == [ApplyOutcome.APPLIED]
    assert titles(index, "lamp") == ["Brass lamp"]


def test_an_update_replaces_the_indexed_product(index, clock, make_product) -> None:
    lamp = make_product(title="Brass lamp")
    apply(index, clock, lamp, make_product(id=lamp.id, title="Copper lamp", version=2))
    assert titles(index, "lamp") == ["Copper lamp"]


def test_an_older_version_arriving_late_is_ignored(index, clock, make_product) -> None:
    lamp = make_product(title="Copper lamp", version=3)
    outcomes = apply(index, clock, lamp, make_product(id=lamp.id, title="Brass lamp", version=2))
    assert outcomes == [ApplyOutcome.APPLIED, ApplyOutcome.STALE]
    assert titles(index, "lamp") == ["Copper lamp"]


def test_a_redelivered_event_changes_nothing(index, clock, make_product) -> None:
    lamp = make_product(title="Brass lamp")
    assert apply(index, clock, lamp, lamp) == [ApplyOutcome.APPLIED, ApplyOutcome.STALE]
    assert index.document_count() == 1


def test_a_deleted_product_disappears_and_stays_gone(index, clock, make_product) -> None:
    lamp = make_product(title="Brass lamp")
    tombstone = ProductTombstone(lamp.id, version=3, deleted_at=lamp.created_at)
    late_update = make_product(id=lamp.id, title="Brass lamp v2", version=2)
    outcomes = apply(index, clock, lamp, tombstone, late_update)
    assert outcomes == [ApplyOutcome.APPLIED, ApplyOutcome.APPLIED, ApplyOutcome.STALE]
    assert titles(index, "lamp") == []


def test_the_lag_is_the_time_from_the_event_to_visibility(index, clock, make_product) -> None:
    product: ProductDocument = make_product()
    occurred = clock()
    command = ApplyProductChange(product, occurred - timedelta(seconds=3))
    [report] = apply_product_changes([command], index, clock)
    assert report.lag_seconds == 4.0


def test_an_empty_batch_touches_nothing(index, clock) -> None:
    assert apply_product_changes([], index, clock) == []
