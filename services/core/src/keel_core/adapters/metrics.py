"""Core's own Prometheus metrics (listed in ``DECLARATION.metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

# Imported first: it creates PROMETHEUS_MULTIPROC_DIR, where the counters below open files.
import keel_common.metrics  # noqa: F401

PRODUCT_CACHE_READS = Counter(
    "keel_core_product_cache_reads_total",
    "Product cache reads, by kind (product, first_page) and result"
    " (near_hit, hit, miss, unavailable).",
    ["kind", "result"],
)
# Labelled (children made in the worker, not at import in the gunicorn master): an
# unlabelled counter made before the fork did not reach /metrics in multiprocess mode.
PRODUCT_CACHE_INVALIDATIONS = Counter(
    "keel_core_product_cache_invalidations_total",
    "Invalidations after a product write, by result (done; failed: replayed before this "
    "process reads the cache again).",
    ["result"],
)
