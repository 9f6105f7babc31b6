"""Search's part of an account erasure (issue #14), with fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

from keel_events.privacy import SearchUserErased
from keel_search.adapters.fakes import FakeSearchIndex, FakeUnitOfWork
from keel_search.domain.products import ApplyOutcome, ProductDocument
from keel_search.service_layer import privacy

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_erasure_removes_the_users_products_for_good(
    make_product: Callable[..., ProductDocument],
) -> None:
    index, uow, owner = FakeSearchIndex(), FakeUnitOfWork(), uuid4()
    mine = [make_product(owner_id=owner, version=1) for _ in range(3)]
    theirs = make_product()
    index.apply([*mine, theirs])

    assert privacy.erase_user(index, uow, owner, lambda: NOW) == 3

    assert index.owned_by(owner, 10) == [] and index.document_count() == 1
    late_update = make_product(id=mine[0].id, owner_id=owner, version=2)
    assert index.apply([late_update]) == [ApplyOutcome.STALE]
    assert [(type(e), e.user_id) for e in uow.events] == [(SearchUserErased, owner)]


def test_erasing_twice_removes_nothing_more_and_reports_again() -> None:
    index, uow, owner = FakeSearchIndex(), FakeUnitOfWork(), uuid4()
    privacy.erase_user(index, uow, owner, lambda: NOW)
    assert privacy.erase_user(index, uow, owner, lambda: NOW) == 0
    assert len(uow.events) == 2
