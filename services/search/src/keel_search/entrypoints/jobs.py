"""The jobs of ``bootstrap.DECLARATION``: ``keel-search job NAME`` runs one once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from keel_search.domain.commands import RebuildIndex
from keel_search.service_layer.rebuilding import rebuild_index

if TYPE_CHECKING:
    from keel_search.bootstrap import Search

log = logging.getLogger(__name__)


def reindex(search: Search) -> None:
    """Rebuild from core's ListProducts in this process; search keeps serving meanwhile."""
    job = rebuild_index(
        RebuildIndex(requested_by="cli"),
        search.index,
        search.product_source,
        search.uow(),
        search.clock,
    )
    log.info("index rebuilt", extra={"job_id": str(job.id), "documents": job.documents})
