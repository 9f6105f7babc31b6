"""``keel-search web|grpc|worker|migrate|job reindex``: what each process kind runs."""

from __future__ import annotations

import logging
from pathlib import Path

from keel_common.cli import ServiceCli
from keel_search.bootstrap import Search, bootstrap
from keel_search.config import SearchSettings, load_search_settings
from keel_search.domain.commands import RebuildIndex
from keel_search.domain.rebuilds import RebuildSummary
from keel_search.entrypoints.consumer import run_worker
from keel_search.entrypoints.grpc_server import create_server
from keel_search.service_layer.rebuilding import rebuild_index

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"

log = logging.getLogger(__name__)


def reindex(wired: Search) -> RebuildSummary:
    """Rebuild from core's ListProducts in this process; search keeps serving meanwhile."""
    job = rebuild_index(
        RebuildIndex(requested_by="cli"),
        wired.index,
        wired.product_source(),
        wired.new_uow(),
        wired.now,
    )
    log.info("index rebuilt", extra={"job_id": str(job.id), "documents": job.documents})
    return job


def reindex_job(settings: SearchSettings) -> None:
    wired = bootstrap(settings)
    try:
        reindex(wired)
    finally:
        wired.index.close()


def main() -> int:
    return ServiceCli(
        service="search",
        settings=load_search_settings,
        web="keel_search.entrypoints.flask_app:create_app()",
        grpc=create_server,
        worker=run_worker,
        migrations_dir=MIGRATIONS,
        jobs={"reindex": reindex_job},
    ).main()
