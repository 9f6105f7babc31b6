"""One service's share of a Prometheus registry.

``make run`` serves the four services' HTTP APIs from one gunicorn (``keel_common.local_web``)
and their workers from one process (``keel_common.local``): one registry (or, under gunicorn,
one multiprocess directory) holds every service's series, and each service's ``/metrics``
listed all of them. A scrape would then count each series four times, under four jobs.
``ServiceScope`` keeps what belongs to one service:

- a family whose samples carry a ``service`` label (the shared RED, consumer and outbox
  metrics of ``keel_common.metrics``): the samples labelled with this service;
- a family the service declares (``ServiceDeclaration.metrics``): all of it;
- any other ``keel_`` family: another service's own metric, left out;
- anything else (the client library's process and platform collectors): kept.

In production each process serves one service, and the scope changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator
from importlib import metadata
from typing import Any

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

SERVICE_LABEL = "service"
NAMESPACE = "keel_"


class ServiceScope(Collector):
    """The families of ``source`` that belong to ``service`` (see the module docstring)."""

    def __init__(self, source: Any, service: str, own: Collection[str]) -> None:
        self._source = source
        self._service = service
        self._own = frozenset(own)

    def collect(self) -> Iterator[Metric]:
        for family in self._source.collect():
            if family.name in self._own:
                yield family
            elif any(SERVICE_LABEL in sample.labels for sample in family.samples):
                mine = [s for s in family.samples if s.labels.get(SERVICE_LABEL) == self._service]
                if mine:
                    yield _with_samples(family, mine)
            elif not family.name.startswith(NAMESPACE):
                yield family


def _with_samples(family: Metric, samples: list[Any]) -> Metric:
    copy = Metric(family.name, family.documentation, family.type, family.unit)
    copy.samples = samples
    return copy


@functools.cache
def declared_metric_names(service: str) -> frozenset[str]:
    """The family names of the metrics ``service``'s declaration lists (none when it is not
    installed), read from its ``keel.services`` entry point."""
    from keel_common.messaging.topology import ENTRY_POINT_GROUP

    found = metadata.entry_points(group=ENTRY_POINT_GROUP, name=service)
    names: set[str] = set()
    for entry_point in found:
        for metric in entry_point.load().metrics:
            names.update(family.name for family in metric.describe())
    return frozenset(names)


def service_scope(source: Any, service: str) -> ServiceScope:
    """``source`` (a registry or collector) as ``service``'s ``/metrics`` shows it."""
    return ServiceScope(source, service, declared_metric_names(service))
