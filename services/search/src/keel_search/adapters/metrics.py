"""The search service's own Prometheus metrics (listed in ``bootstrap.DECLARATION``).

Alerts (deploy/helm/keel/files/alerts) and the dashboard read these names and labels;
rename one only together with them.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INDEX_LAG = Histogram(
    "keel_search_index_lag_seconds",
    "Time from a product change in core (event time) to it being searchable.",
    ["service"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0),
)

RESULT_CACHE_LOOKUPS = Counter(
    "keel_search_result_cache_lookups_total",
    "Search answers looked up in the process's result cache, by outcome (hit or miss).",
    ["service", "outcome"],
)
