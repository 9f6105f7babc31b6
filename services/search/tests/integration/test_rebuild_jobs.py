"""The rebuild log on the real databases (SQLite and PostgreSQL), through the use cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keel_search.adapters.fakes import FakeProductSource
from keel_search.bootstrap import Search
from keel_search.domain.commands import RebuildIndex
from keel_search.domain.products import ProductDocument
from keel_search.domain.rebuilds import RebuildJob, RebuildStatus
from keel_search.service_layer import rebuilding

MakeProduct = Callable[..., ProductDocument]


def test_a_rebuild_is_logged_from_start_to_end(
    wired: Search, catalogue: FakeProductSource, make_product: MakeProduct
) -> None:
    catalogue.products = [make_product() for _ in range(3)]
    job = rebuilding.rebuild_index(
        RebuildIndex("cli"), wired.index, catalogue, wired.uow(), wired.clock
    )
    stored = rebuilding.get_rebuild(job.id, wired.uow())
    assert (stored.status, stored.documents, stored.requested_by) == (
        RebuildStatus.SUCCEEDED,
        3,
        "cli",
    )
    assert stored.finished_at is not None
    assert rebuilding.running_rebuild(wired.uow()) is None


def test_a_failed_rebuild_keeps_its_reason(
    wired: Search, catalogue: FakeProductSource, make_product: MakeProduct
) -> None:
    catalogue.products = [make_product() for _ in range(3)]
    catalogue.fail_after = 1
    job, builder = rebuilding.start_rebuild(
        RebuildIndex("grpc"), wired.index, wired.uow(), wired.clock
    )
    with pytest.raises(ConnectionError):
        rebuilding.run_rebuild(job.id, builder, catalogue, wired.uow(), wired.clock)
    stored = rebuilding.get_rebuild(job.id, wired.uow())
    assert (stored.status, stored.error) == (
        RebuildStatus.FAILED,
        "ConnectionError: catalogue stream broke",
    )


def test_a_job_orphaned_by_a_dead_process_is_closed(wired: Search) -> None:
    with wired.uow() as uow:
        orphan = RebuildJob.start("grpc", wired.clock())
        uow.rebuild_jobs.add(orphan)
        uow.commit()
    assert rebuilding.running_rebuild(wired.uow()) is not None
    job, builder = rebuilding.start_rebuild(
        RebuildIndex("cli"), wired.index, wired.uow(), wired.clock
    )
    builder.abort()
    assert rebuilding.get_rebuild(orphan.id, wired.uow()).status is RebuildStatus.FAILED
    running = rebuilding.running_rebuild(wired.uow())
    assert running is not None and running.id == job.id
