"""The search service's own Prometheus metrics (listed in ``bootstrap.DECLARATION``).

Alerts (deploy/helm/keel/files/alerts) and the dashboard read these names and labels;
rename one only together with them.
"""

from __future__ import annotations

from prometheus_client import Histogram

import keel_common.metrics as _common


def _index_lag() -> Histogram:
    # Until keel_common.metrics drops its copy (issue #10, after the merge), the name is
    # already registered there and may be registered only once per process: reuse it.
    registered: Histogram | None = getattr(_common, "SEARCH_INDEX_LAG", None)
    if registered is not None:
        return registered
    return Histogram(
        "keel_search_index_lag_seconds",
        "Time from a product change in core (event time) to it being searchable.",
        ["service"],
        buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0),
    )


INDEX_LAG = _index_lag()
