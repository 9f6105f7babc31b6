"""The search service's own metric, until it moves into ``keel_common.metrics``.

Every other metric comes from ``keel_common.metrics``; this one is asked of the lead to move
there (with the alert on its p95) so that the rule "metrics are defined once" holds again.
"""

from __future__ import annotations

from prometheus_client import Histogram

INDEX_LAG = Histogram(
    "keel_search_index_lag_seconds",
    "Time from a product change in core (event time) to it being searchable.",
    ["service"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0),
)
