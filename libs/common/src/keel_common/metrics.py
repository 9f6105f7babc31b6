"""The Prometheus metrics every Keel process shares, defined once; a service's own metrics
live in the service and are listed in its ``DECLARATION.metrics``.

Alerts (deploy/helm/keel/files/alerts), dashboards and code refer to these names; rename
one only together with them. RED metrics cover HTTP routes and gRPC methods; the consumer
and outbox metrics cover the asynchronous side.

Under gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` before start so every worker's samples are
aggregated when ``/metrics`` is scraped (``metrics_payload`` does the aggregation).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
    values,
)
from prometheus_client.registry import Collector

from keel_common.process import process_id

_Child = TypeVar("_Child")

_multiprocess_values: type | None = None


def choose_value_class() -> None:
    """Choose prometheus_client's value class as it does itself (files shared by processes
    when ``PROMETHEUS_MULTIPROC_DIR`` is set, else in-memory values), naming the process
    without a system call: every increment asks which process writes (a worker forked from
    gunicorn's master writes files of its own), four or five times a request.

    Always the same multiprocess class once made: each class keeps its own handle on the
    process's files, and two handles on one file overwrite each other's entries (a metric
    without labels gets its value as it is defined, under the class chosen then)."""
    global _multiprocess_values
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        if _multiprocess_values is None:
            _multiprocess_values = values.MultiProcessValue(process_identifier=process_id)
        values.ValueClass = _multiprocess_values
    else:
        values.ValueClass = values.MutexValue


# In multiprocess mode every metric below opens a file in this directory as it is defined;
# a process started before gunicorn prepared it (migrate, grpc, worker) must not crash.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
choose_value_class()

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "keel_http_requests_total",
    "HTTP requests handled, by route and status code.",
    ["service", "method", "route", "status"],
)
HTTP_ERRORS = Counter(
    "keel_http_request_errors_total",
    "HTTP requests that ended in a 5xx answer.",
    ["service", "method", "route"],
)
HTTP_LATENCY = Histogram(
    "keel_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)

GRPC_REQUESTS = Counter(
    "keel_grpc_requests_total",
    "gRPC calls handled, by method and status code.",
    ["service", "method", "code"],
)
GRPC_ERRORS = Counter(
    "keel_grpc_request_errors_total",
    "gRPC calls that ended with a server-side error code (UNKNOWN, INTERNAL, UNAVAILABLE, ...).",
    ["service", "method"],
)
GRPC_LATENCY = Histogram(
    "keel_grpc_request_duration_seconds",
    "Time to answer a gRPC call.",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)

CONSUMER_MESSAGES = Counter(
    "keel_consumer_messages_total",
    "Messages taken by a consumer, by outcome: handled, duplicate, failed, retried, dead_lettered.",
    ["service", "queue", "outcome"],
)
CONSUMER_LATENCY = Histogram(
    "keel_consumer_handling_duration_seconds",
    "Time a consumer's handler took for one message.",
    ["service", "queue"],
    buckets=LATENCY_BUCKETS,
)
CONSUMER_LAST_SUCCESS = Gauge(
    "keel_consumer_last_success_timestamp_seconds",
    "Unix time of the last message a consumer handled successfully.",
    ["service", "queue"],
    multiprocess_mode="max",
)

OUTBOX_BACKLOG = Gauge(
    "keel_outbox_backlog",
    "Events written to the outbox and not yet published.",
    ["service"],
    multiprocess_mode="max",
)
OUTBOX_PUBLISHED = Counter(
    "keel_outbox_published_total",
    "Events the outbox relay published with a broker confirm.",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "keel_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox event (0 when the outbox is empty).",
    ["service"],
    multiprocess_mode="max",
)


def labelled_once(labels: Callable[..., _Child]) -> Callable[..., _Child]:
    """``labels`` (a metric's ``.labels``, or a function of label values that makes several
    children) called once per distinct label values, its answer kept: a hot path's counter
    pays a dict lookup instead of prometheus_client's lock, validation and key building.
    Label values must come from a small set (route templates, results), never from input."""
    made: dict[tuple[object, ...], _Child] = {}

    def child(*values: object) -> _Child:
        found = made.get(values)
        if found is None:
            found = made[values] = labels(*values)
        return found

    return child


def metrics_payload(service: str | None = None) -> tuple[bytes, str]:
    """The text exposition of this process (or of all gunicorn workers in multiprocess mode);
    with ``service``, only that service's series (``keel_common.metrics_scope``: ``make run``
    serves several services from one process)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        source = CollectorRegistry()
        multiprocess.MultiProcessCollector(source)
        return generate_latest(_scoped(source, service)), CONTENT_TYPE_LATEST
    return generate_latest(_scoped(REGISTRY, service)), CONTENT_TYPE_LATEST


def serve_metrics(port: int, addr: str = "0.0.0.0", service: str | None = None) -> None:
    """Expose ``/metrics`` from a process without an HTTP server of its own (workers); with
    ``service``, only that service's series."""
    start_http_server(port, addr=addr, registry=_scoped(REGISTRY, service))


def _scoped(source: CollectorRegistry, service: str | None) -> Collector:
    if service is None:
        return source
    from keel_common.metrics_scope import service_scope

    return service_scope(source, service)
