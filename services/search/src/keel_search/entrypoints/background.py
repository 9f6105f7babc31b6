"""Run a started rebuild in a background thread of this process (gRPC and HTTP both)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from keel_search.domain.rebuilds import RebuildSummary
from keel_search.service_layer import rebuilding
from keel_search.service_layer.ports import IndexBuilder

if TYPE_CHECKING:
    from keel_search.bootstrap import Search

log = logging.getLogger(__name__)


def run_in_background(service: Search, job: RebuildSummary, builder: IndexBuilder) -> None:
    def run() -> None:
        try:
            rebuilding.run_rebuild(
                job.id, builder, service.product_source, service.uow(), service.clock
            )
        except Exception:  # noqa: BLE001 - recorded on the job and logged by run_rebuild
            log.warning("background rebuild %s failed", job.id)

    # A daemon: a stopping server does not wait an hour for a rebuild; the job is then
    # closed as abandoned by the next one (the lock dies with the process).
    threading.Thread(target=run, name=f"rebuild-{job.id}", daemon=True).start()
