"""The Broker port: what services and the outbox relay need from a message broker."""

from __future__ import annotations

import abc
import enum
import threading
from collections.abc import Callable, Sequence

from keel_common.messaging.dead_queue import DeadLetterWalks, Visit
from keel_common.messaging.envelope import Envelope
from keel_common.messaging.topology import QueueSpec


class HandlerResult(enum.Enum):
    """What a handler may return; ``None`` means it handled the event."""

    HANDLED = "handled"
    DUPLICATE = "duplicate"


#: Returned by a handler that found the event already processed (its inbox or a version
#: check said so); the message is acked and counted as a duplicate.
DUPLICATE = HandlerResult.DUPLICATE

Handler = Callable[[Envelope], HandlerResult | None]


class BrokerError(Exception):
    """The broker is unreachable or refused a message."""


class PublishError(BrokerError):
    """Not every message of a publish was confirmed; the caller still owns all of them."""


class Broker(DeadLetterWalks, abc.ABC):
    """Publishes envelopes to the events exchange and runs consumers on registered queues.

    Publishing returns only when the broker has confirmed every message; anything else raises
    ``PublishError`` so the caller (the outbox relay) keeps the messages and tries again.
    Consumers ack only after the handler returned, so a handler must commit its own work
    before returning and be safe to run twice for one event (an inbox of handled ids, or
    versions that make a replay a no-op).
    """

    @abc.abstractmethod
    def publish(self, envelope: Envelope) -> None:
        """Publish one event with routing key ``envelope.type``; return once confirmed."""

    @abc.abstractmethod
    def publish_batch(self, envelopes: Sequence[Envelope]) -> None:
        """Publish several events in order; return once every one is confirmed."""

    @abc.abstractmethod
    def consume(
        self,
        spec: QueueSpec,
        handler: Handler,
        *,
        prefetch: int = 100,
        stop: threading.Event,
    ) -> None:
        """Run ``handler`` for each message of ``spec``'s queue until ``stop`` is set.

        A handler exception retries the message after ``spec.delay_after(attempt)`` seconds;
        after ``spec.max_attempts`` failed runs, or at once for a body that is not an
        envelope, the message goes to ``spec.dead_queue``. A lost connection is re-opened
        with backoff; the loop only returns when ``stop`` is set.
        """

    @abc.abstractmethod
    def dead_letter_count(self, spec: QueueSpec) -> int:
        """How many messages wait in ``spec.dead_queue`` (what the consumer gave up on).

        Raises ``BrokerError`` when the broker does not answer.
        """

    @abc.abstractmethod
    def waiting_count(self, spec: QueueSpec) -> int:
        """How many messages wait in ``spec``'s queue for a consumer (its backlog: a
        consumer's lag, in messages). Raises ``BrokerError`` when the broker does not answer.
        """

    @abc.abstractmethod
    def walk_dead_letters(self, spec: QueueSpec, visit: Visit, limit: int | None = None) -> None:
        """Offer each of the first ``limit`` (default: all) messages of ``spec.dead_queue`` to
        ``visit`` and carry out its answer (``dead_queue.Action``); kept messages stay where
        they were. Raises ``BrokerError`` when the broker does not answer."""

    @abc.abstractmethod
    def check(self) -> None:
        """Return when the broker answers; raise ``BrokerError`` otherwise (``/readyz``)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the publishing connection; running consumers stop through their event."""
