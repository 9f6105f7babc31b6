"""One anatomy for every service: what ``bootstrap()`` returns and how a service declares itself.

Each service's ``bootstrap.py`` holds two things, in the same shape for all four:

* ``bootstrap(settings=None, **overrides) -> <Svc>``: the composition root. It builds the
  adapters from settings (nothing connects until first used) and returns a ``Service``
  subclass carrying the ports its entrypoints need. ``overrides`` swap any of them (tests).
* ``DECLARATION = ServiceDeclaration(...)``: what the service **publishes** (event contracts
  from ``keel_events``), what it **consumes** (queue, event types, handler, retry policy),
  its **metrics** and its **jobs** (with their crontab schedules).

The generic machinery reads the declarations and never lists a service's queues itself:
``keel_common.worker`` runs a service's relay, consumers and background loops, the
``keel-<svc>`` command line runs its jobs and scheduler, and
``keel_common.messaging.topology.platform_queues()`` collects every consumer queue from the
``keel.services`` entry points (each service's pyproject registers its ``DECLARATION``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from keel_common.clock import Clock, utcnow
from keel_common.health import Check, database_check
from keel_common.messaging.topology import DEFAULT_RETRY_DELAYS, QueueSpec

if TYPE_CHECKING:
    import sqlalchemy as sa

    from keel_common.audit import AuditTrail
    from keel_common.discovery import Discovery
    from keel_common.messaging import Broker, Envelope, HandlerResult
    from keel_common.settings import ServiceSettings
    from keel_events import Event

U = TypeVar("U")
Svc = TypeVar("Svc", bound="Service[Any]")


@dataclass(kw_only=True, eq=False)
class Service(Generic[U]):
    """Everything a process of one service needs, built once by its ``bootstrap``.

    A service subclasses it (``@dataclass(kw_only=True, eq=False)``) and adds the ports its
    use cases take (a password hasher, a search index, the channel senders, ...).
    """

    settings: ServiceSettings
    engine: sa.Engine
    uow_factory: Callable[[], U]
    #: Not connected until the first publish, consume or check.
    broker: Broker
    discovery: Discovery
    #: The service's outbox table, or None for a service that publishes nothing.
    outbox: sa.Table | None = None
    clock: Clock = utcnow
    #: The admin audit trail of actions on no table of the service's own (dead letters).
    audit: AuditTrail | None = None
    #: Called by ``close()`` in reverse order (gRPC channels, provider sessions, ...).
    closers: list[Callable[[], None]] = field(default_factory=list)

    def uow(self) -> U:
        """A new unit of work (one per use-case call)."""
        return self.uow_factory()

    @property
    def readiness(self) -> Mapping[str, Check]:
        """What ``/readyz`` checks: the database, plus what ``extra_readiness`` adds."""
        return {"database": database_check(self.engine), **self.extra_readiness()}

    def extra_readiness(self) -> Mapping[str, Check]:
        return {}

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        self.broker.close()
        self.engine.dispose()


#: A consumer's handler: the event parsed into its contract, and the envelope it came in
#: (id, time, source, trace). ``None`` means handled; ``DUPLICATE`` means seen before.
EventHandler = Callable[["Event", "Envelope"], "HandlerResult | None"]


@dataclass(frozen=True)
class Subscription(Generic[Svc]):
    """A durable queue of the service, the event types bound to it and how they are handled.

    ``handler(service)`` is called once per worker process and returns the ``EventHandler``
    its consumer threads share; if the returned object has a ``close()`` method, the worker
    calls it after the consumers stopped.
    """

    queue: str
    events: tuple[type[Event], ...]
    handler: Callable[[Svc], EventHandler]
    max_attempts: int = 5
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    #: Consumer threads sharing the queue: a number, or read from the settings.
    consumers: int | Callable[[Svc], int] = 1
    #: Unacknowledged messages per consumer: a number, or read from the settings.
    prefetch: int | Callable[[Svc], int] = 10

    @property
    def spec(self) -> QueueSpec:
        return QueueSpec(
            self.queue,
            tuple(event.type for event in self.events),
            max_attempts=self.max_attempts,
            retry_delays=self.retry_delays,
        )

    def consumer_count(self, service: Svc) -> int:
        return self.consumers if isinstance(self.consumers, int) else self.consumers(service)

    def prefetch_count(self, service: Svc) -> int:
        return self.prefetch if isinstance(self.prefetch, int) else self.prefetch(service)


@dataclass(frozen=True)
class Job(Generic[Svc]):
    """A periodic job: ``keel-<svc> job NAME`` runs it once (a Kubernetes CronJob), the local
    ``scheduler`` runs it on ``schedule`` (crontab, UTC; None: on demand only). The Helm
    chart's CronJobs are checked against these schedules by the deploy tests."""

    run: Callable[[Svc], None]
    schedule: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Outbox:
    """The service stages events in an outbox; the worker's relay publishes them."""

    #: How long published rows are kept (events carrying one-time secrets: briefly).
    retention: timedelta = timedelta(days=7)
    prune_interval: float = 3600.0


@dataclass(frozen=True)
class ServiceDeclaration(Generic[Svc]):
    """What a service is to the rest of the platform (see the module docstring)."""

    name: str
    bootstrap: Callable[..., Svc]
    publishes: tuple[type[Event], ...] = ()
    consumes: tuple[Subscription[Svc], ...] = ()
    metrics: tuple[Any, ...] = ()
    jobs: Mapping[str, Job[Svc]] = field(default_factory=dict)
    #: Long-running loops the worker runs beside its consumers (e.g. a dispatcher).
    background: Mapping[str, Callable[[Svc, threading.Event], None]] = field(default_factory=dict)
    outbox: Outbox | None = None

    def __post_init__(self) -> None:
        if self.publishes and self.outbox is None:
            raise ValueError(f"{self.name} publishes events but declares no outbox")
        for event in self.publishes:
            if event.producer != self.name:
                raise ValueError(f"{self.name} cannot publish {event.type} ({event.producer}'s)")

    @property
    def queues(self) -> tuple[QueueSpec, ...]:
        return tuple(subscription.spec for subscription in self.consumes)

    @property
    def published_types(self) -> frozenset[str]:
        return frozenset(event.type for event in self.publishes)

    @property
    def schedules(self) -> dict[str, str]:
        return {name: job.schedule for name, job in self.jobs.items() if job.schedule}
