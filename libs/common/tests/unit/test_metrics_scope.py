"""One service's share of a registry that holds several services' series (``make run``)."""

from __future__ import annotations

from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from keel_common.messaging.topology import ENTRY_POINT_GROUP
from keel_common.metrics_scope import NAMESPACE, ServiceScope, declared_metric_names


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    shared = Counter("keel_http_requests_total", "", ["service", "route"], registry=registry)
    shared.labels("alpha", "/v1/alpha/things").inc()
    shared.labels("beta", "/v1/beta/things").inc(2)
    Counter("keel_alpha_cache_reads_total", "", ["kind"], registry=registry).labels("p").inc()
    Counter("keel_beta_lookups_total", "", ["result"], registry=registry).labels("hit").inc()
    Gauge("process_open_fds_like", "", registry=registry).set(7)
    return registry


def _text(service: str, own: set[str]) -> str:
    scope = ServiceScope(_registry(), service, own)
    view = CollectorRegistry()
    view.register(scope)
    return generate_latest(view).decode()


def test_each_service_sees_its_own_series_and_no_other_s() -> None:
    alpha = _text("alpha", {"keel_alpha_cache_reads"})
    beta = _text("beta", {"keel_beta_lookups"})

    assert 'keel_http_requests_total{route="/v1/alpha/things",service="alpha"} 1.0' in alpha
    assert 'service="beta"' not in alpha and "keel_beta_lookups" not in alpha
    assert "keel_alpha_cache_reads_total" in alpha
    assert 'keel_http_requests_total{route="/v1/beta/things",service="beta"} 2.0' in beta
    assert 'service="alpha"' not in beta and "keel_alpha_cache_reads" not in beta
    # What is no service's (the process's own collectors) stays.
    assert "process_open_fds_like 7.0" in alpha and "process_open_fds_like 7.0" in beta


def test_every_installed_service_declares_its_metrics_in_the_keel_namespace() -> None:
    # The scope leaves out every other service's ``keel_`` family; one outside the
    # namespace would show on every service's /metrics.
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        for name in declared_metric_names(entry_point.name):
            assert name.startswith(NAMESPACE), (entry_point.name, name)
    assert declared_metric_names("no-such-service") == frozenset()
