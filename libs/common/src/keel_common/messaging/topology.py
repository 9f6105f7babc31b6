"""Consumer queues: their spec, the retry and dead-letter queues beside them, and the
platform's topology collected from the services' declarations.

Each process declares the whole topology on connect, idempotently. RabbitMQ wants the same
declarations from everyone anyway, and kombu's embedded transports keep exchange bindings in
the memory of each process: a publisher that did not bind ``notification.events`` itself
would route ``core.order.placed.v1`` nowhere. The queues come from the services' own
declarations (``platform_queues``); nothing here names a service.

Per queue ``Q`` there are three kinds of queue:

* ``Q`` -- bound to the events exchange with the spec's routing keys;
* ``Q.retry.<ms>ms`` -- one per distinct retry delay; a failed message waits there, then goes
  back to ``Q`` (RabbitMQ: per-queue TTL dead-lettering to ``Q``);
* ``Q.dead`` -- messages that failed ``max_attempts`` times or were not envelopes; an operator
  reads them and re-publishes by hand (RabbitMQ: through the ``<exchange>.dlx`` exchange).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata

DEFAULT_RETRY_DELAYS = (1.0, 10.0, 60.0, 300.0)


@dataclass(frozen=True)
class QueueSpec:
    """A durable consumer queue, the event types it receives and its retry policy.

    ``retry_delays`` are seconds to wait after the 1st, 2nd, ... failure; the last one repeats
    until ``max_attempts`` handler runs have failed, then the message is dead-lettered.
    """

    name: str
    routing_keys: tuple[str, ...]
    max_attempts: int = 5
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS

    def __post_init__(self) -> None:
        if not self.name or not self.routing_keys:
            raise ValueError("a queue needs a name and at least one routing key")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not self.retry_delays or min(self.retry_delays) <= 0:
            raise ValueError("retry_delays must be positive seconds")

    @property
    def dead_queue(self) -> str:
        return f"{self.name}.dead"

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait before running the handler again after failed attempt ``attempt``."""
        return self.retry_delays[min(attempt, len(self.retry_delays)) - 1]

    def retry_queue(self, delay: float) -> str:
        return f"{self.name}.retry.{_millis(delay)}ms"

    @property
    def retry_exchange(self) -> str:
        """The direct exchange a consumer sends its failed messages through to the retry
        queues: the queue's own, so a broker user needs write access to nothing but its
        queues' names (the default exchange would reach every queue on the broker)."""
        return f"{self.name}.retry"

    @property
    def retry_queues(self) -> dict[str, int]:
        """Retry queue name -> its delay in milliseconds, one per distinct delay."""
        return {self.retry_queue(delay): _millis(delay) for delay in self.retry_delays}


def _millis(seconds: float) -> int:
    return round(seconds * 1000)


def dead_letter_exchange(exchange: str) -> str:
    """The direct exchange that routes a rejected message of queue ``Q`` to ``Q.dead``."""
    return f"{exchange}.dlx"


ENTRY_POINT_GROUP = "keel.services"


@functools.cache
def platform_queues() -> tuple[QueueSpec, ...]:
    """Every consumer queue of the platform, collected from the service declarations.

    Each service's pyproject registers its ``bootstrap:DECLARATION`` under the
    ``keel.services`` entry point group; a queue appears here only because the service that
    consumes it declared it. Only the declarations installed in this environment are seen:
    the development workspace (``make run``, the tests) has all four, so every process
    declares every queue. A service's image holds only its own: there a consumer's queues
    are declared by its ``keel-<svc> migrate`` (the Helm pre-upgrade hook) before any
    publisher starts, and again by its worker.
    """
    queues: dict[str, QueueSpec] = {}
    for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=_name):
        for spec in entry_point.load().queues:
            if spec.name in queues:
                raise ValueError(f"two services declare the queue {spec.name}")
            queues[spec.name] = spec
    return tuple(queues[name] for name in sorted(queues))


def _name(entry_point: metadata.EntryPoint) -> str:
    return entry_point.name


def consumer_queue(name: str, queues: Sequence[QueueSpec] | None = None) -> QueueSpec:
    """The declared spec called ``name``; a ``KeyError`` names the queues that exist."""
    queues = platform_queues() if queues is None else queues
    for spec in queues:
        if spec.name == name:
            return spec
    raise KeyError(f"no consumer queue {name!r}; declared: {[q.name for q in queues]}")
