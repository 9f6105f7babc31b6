from __future__ import annotations

import pytest

from keel_search.domain.commands import ApplyProductChange, RebuildIndex
from keel_search.domain.errors import RebuildInProgress, RebuildNotFound
from keel_search.domain.products import ProductTombstone
from keel_search.domain.rebuilds import RebuildJob, RebuildStatus
from keel_search.service_layer.indexing import apply_product_changes
from keel_search.service_layer.rebuilding import (
    get_rebuild,
    rebuild_index,
    run_rebuild,
    start_rebuild,
)


def test_a_rebuild_replaces_the_index_with_the_catalogue(
    index, source, uow, clock, make_product
) -> None:
    gone = make_product(title="Discontinued lamp")
    apply_product_changes([ApplyProductChange(gone, clock())], index, clock)
    source.products = [make_product(title=f"Lamp {n}") for n in range(2500)]
    job = rebuild_index(RebuildIndex("cli"), index, source, uow, clock)
    assert (job.status, job.documents) == (RebuildStatus.SUCCEEDED, 2500)
    assert gone.id not in index.state
    assert get_rebuild(job.id, uow).status is RebuildStatus.SUCCEEDED


def test_changes_applied_during_a_rebuild_reach_the_new_index(
    index, source, uow, clock, make_product
) -> None:
    old = make_product(title="Brass lamp")
    source.products = [old]
    job, builder = start_rebuild(RebuildIndex("grpc"), index, uow, clock)
    newer = make_product(id=old.id, title="Copper lamp", version=2)
    arrived = make_product(title="New chair")
    changes = [ApplyProductChange(c, clock()) for c in (newer, arrived)]
    apply_product_changes(changes, index, clock)
    run_rebuild(job.id, builder, source, uow, clock)
    assert index.state[old.id] == newer
    assert arrived.id in index.state


def test_a_deletion_during_a_rebuild_is_not_undone_by_the_stream(
    index, source, uow, clock, make_product
) -> None:
    lamp = make_product(title="Brass lamp")
    source.products = [lamp]
    job, builder = start_rebuild(RebuildIndex("grpc"), index, uow, clock)
    tombstone = ProductTombstone(lamp.id, 2, lamp.created_at)
    apply_product_changes([ApplyProductChange(tombstone, clock())], index, clock)
    run_rebuild(job.id, builder, source, uow, clock)
    assert index.document_count() == 0


def test_only_one_rebuild_runs_at_a_time(index, uow, clock) -> None:
    start_rebuild(RebuildIndex("grpc"), index, uow, clock)
    with pytest.raises(RebuildInProgress):
        start_rebuild(RebuildIndex("cli"), index, uow, clock)


def test_a_broken_stream_fails_the_job_and_keeps_the_live_index(
    index, source, uow, clock, make_product
) -> None:
    live = make_product(title="Brass lamp")
    apply_product_changes([ApplyProductChange(live, clock())], index, clock)
    source.products = [make_product() for _ in range(5)]
    source.fail_after = 3
    job, builder = start_rebuild(RebuildIndex("cli"), index, uow, clock)
    with pytest.raises(ConnectionError):
        run_rebuild(job.id, builder, source, uow, clock, batch_size=2)
    failed = get_rebuild(job.id, uow)
    assert failed.status is RebuildStatus.FAILED
    assert failed.error == "ConnectionError: catalogue stream broke"
    assert builder.aborted and list(index.state) == [live.id]
    start_rebuild(RebuildIndex("cli"), index, uow, clock)  # the lock was released


def test_a_failed_swap_fails_the_job(index, source, uow, clock) -> None:
    index.fail_finish = True
    job, builder = start_rebuild(RebuildIndex("cli"), index, uow, clock)
    with pytest.raises(RuntimeError):
        run_rebuild(job.id, builder, source, uow, clock)
    assert get_rebuild(job.id, uow).status is RebuildStatus.FAILED


def test_a_job_left_running_by_a_dead_process_is_closed_as_abandoned(index, uow, clock) -> None:
    with uow:
        orphan = RebuildJob.start("grpc", clock())
        uow.rebuild_jobs.add(orphan)
        uow.commit()
    start_rebuild(RebuildIndex("cli"), index, uow, clock)
    assert get_rebuild(orphan.id, uow).status is RebuildStatus.FAILED


def test_the_job_is_not_recorded_when_the_lock_is_taken(index, uow, clock) -> None:
    index.start_rebuild()
    with pytest.raises(RebuildInProgress):
        start_rebuild(RebuildIndex("cli"), index, uow, clock)
    assert uow.commits == 0


def test_an_unknown_job_is_not_found(uow) -> None:
    from uuid import uuid4

    with pytest.raises(RebuildNotFound):
        get_rebuild(uuid4(), uow)
