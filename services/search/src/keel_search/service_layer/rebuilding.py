"""Use cases: rebuild the index from core's catalogue while search keeps serving."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from uuid import UUID

from keel_common.clock import Clock
from keel_search.domain.commands import RebuildIndex
from keel_search.domain.errors import RebuildNotFound
from keel_search.domain.rebuilds import RebuildJob, RebuildSummary
from keel_search.service_layer.ports import IndexBuilder, ProductSource, SearchIndex, UnitOfWork

log = logging.getLogger(__name__)

BATCH_SIZE = 1000


def start_rebuild(
    command: RebuildIndex, index: SearchIndex, uow: UnitOfWork, now: Clock
) -> tuple[RebuildSummary, IndexBuilder]:
    """Take the rebuild lock and record the job; ``RebuildInProgress`` if one runs already.

    Holding the lock proves no other rebuild of this index is alive, so a job still marked
    running was left behind by a process that died and is closed as abandoned.
    """
    builder = index.start_rebuild()
    try:
        with uow:
            for orphan in uow.rebuild_jobs.running():
                orphan.abandon(now())
            job = RebuildJob.start(command.requested_by, now())
            uow.rebuild_jobs.add(job)
            uow.commit()
            summary = job.summary()
    except BaseException:
        builder.abort()
        raise
    return summary, builder


def run_rebuild(
    job_id: UUID,
    builder: IndexBuilder,
    source: ProductSource,
    uow: UnitOfWork,
    now: Clock,
    batch_size: int = BATCH_SIZE,
) -> RebuildSummary:
    """Stream the catalogue into the new index, swap it in, and record how it ended."""
    try:
        products = source.stream()
        while batch := tuple(itertools.islice(products, batch_size)):
            builder.add(batch)
        documents = builder.finish()
    except Exception as exc:
        builder.abort()
        log.exception("index rebuild failed", extra={"job_id": str(job_id)})
        reason = f"{type(exc).__name__}: {exc}"
        _finish(uow, job_id, lambda job: job.fail(reason, now()))
        raise
    log.info("index rebuilt", extra={"job_id": str(job_id), "documents": documents})
    return _finish(uow, job_id, lambda job: job.succeed(documents, now()))


def rebuild_index(
    command: RebuildIndex, index: SearchIndex, source: ProductSource, uow: UnitOfWork, now: Clock
) -> RebuildSummary:
    """Start and run a rebuild in the caller's thread (the CLI command)."""
    job, builder = start_rebuild(command, index, uow, now)
    return run_rebuild(job.id, builder, source, uow, now)


def running_rebuild(uow: UnitOfWork) -> RebuildSummary | None:
    """The job recorded as running, if any (what a refused second request is pointed at)."""
    with uow:
        running = uow.rebuild_jobs.running()
        return max(running, key=lambda job: job.started_at).summary() if running else None


def get_rebuild(job_id: UUID, uow: UnitOfWork) -> RebuildSummary:
    with uow:
        job = uow.rebuild_jobs.get(job_id)
        if job is None:
            raise RebuildNotFound()
        return job.summary()


def _finish(uow: UnitOfWork, job_id: UUID, change: Callable[[RebuildJob], None]) -> RebuildSummary:
    with uow:
        job = uow.rebuild_jobs.get(job_id)
        if job is None:
            raise RebuildNotFound()
        change(job)
        uow.commit()
        return job.summary()
