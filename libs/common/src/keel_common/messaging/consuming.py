"""What both broker adapters do with one delivered message, apart from the wire.

``ConsumerRun.process`` parses the body, runs the handler inside the event's trace, keeps the
CONSUMER_* metrics and answers what to do with the message: ack it, retry it after a delay,
or dead-letter it. The adapters only carry that verdict out on their transport. A handler
that raises ``InvalidMessage`` (data it can never process) dead-letters the message at once.

Metric outcomes: every message ends as ``handled``, ``duplicate``, ``retried`` or
``dead_lettered``; ``failed`` additionally counts each handler exception (so a message that
failed twice and then worked counts failed=2, retried=2, handled=1).
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keel_common import tracing
from keel_common.messaging.dead_queue import ERROR_HEADER, error_text
from keel_common.messaging.envelope import Envelope, InvalidMessage
from keel_common.messaging.port import DUPLICATE, Handler
from keel_common.messaging.topology import QueueSpec
from keel_common.metrics import CONSUMER_LAST_SUCCESS, CONSUMER_LATENCY, CONSUMER_MESSAGES

logger = logging.getLogger(__name__)

#: Header carrying which run of the handler this delivery is (1 for the first delivery).
ATTEMPT_HEADER = "x-keel-attempt"
#: Header of a message waiting in an embedded retry queue: Unix time it may run again.
DUE_HEADER = "x-keel-due"


class Verdict(enum.Enum):
    ACK = "ack"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    #: For RETRY: seconds to wait, and the attempt number the next delivery carries.
    delay: float = 0.0
    next_attempt: int = 0
    #: For RETRY and DEAD: what went wrong, scrubbed (``dead_queue.error_text``).
    error: str = ""

    def headers(self, headers: Mapping[str, Any] | None) -> dict[str, Any]:
        """The message's headers for its retry or dead-letter copy: the first error is kept."""
        found = dict(headers or {})
        if self.error:
            found.setdefault(ERROR_HEADER, self.error)
        if self.verdict is Verdict.RETRY:
            found[ATTEMPT_HEADER] = self.next_attempt
        return found


ACK = Decision(Verdict.ACK)
DEAD = Decision(Verdict.DEAD)


def attempt_of(headers: Mapping[str, Any] | None) -> int:
    """The attempt number a delivery carries; a missing or mangled header counts as 1."""
    try:
        return max(1, int((headers or {}).get(ATTEMPT_HEADER, 1)))
    except (TypeError, ValueError):
        return 1


class ConsumerRun:
    """One consumer loop's handler, queue spec and metric series."""

    def __init__(self, spec: QueueSpec, handler: Handler, service: str) -> None:
        self.spec = spec
        self.handler = handler
        self._outcomes = {
            outcome: CONSUMER_MESSAGES.labels(service, spec.name, outcome)
            for outcome in ("handled", "duplicate", "failed", "retried", "dead_lettered")
        }
        self._latency = CONSUMER_LATENCY.labels(service, spec.name)
        self._last_success = CONSUMER_LAST_SUCCESS.labels(service, spec.name)

    def process(self, body: bytes, headers: Mapping[str, Any] | None) -> Decision:
        try:
            envelope = Envelope.from_json(body)
        except InvalidMessage as exc:
            # The body itself is never logged: it may hold an OTP code or a token.
            logger.warning("dead-lettering a message that is not an envelope: %s", exc)
            self._outcomes["dead_lettered"].inc()
            return Decision(Verdict.DEAD, error=error_text(exc))
        # Every line about this event (handled, failed, dead-lettered) carries its trace id,
        # so one trace can be followed from the HTTP request through the broker.
        with tracing.continue_from({tracing.TRACEPARENT: envelope.traceparent or ""}):
            return self._handle(envelope, attempt_of(headers))

    def _handle(self, envelope: Envelope, attempt: int) -> Decision:
        started = time.perf_counter()
        try:
            result = self.handler(envelope)
        except InvalidMessage as exc:
            # The handler found the data unusable: no retry can change that.
            self._latency.observe(time.perf_counter() - started)
            logger.warning("dead-lettering event %s (%s): %s", envelope.id, envelope.type, exc)
            self._outcomes["dead_lettered"].inc()
            return Decision(Verdict.DEAD, error=error_text(exc))
        except Exception as exc:  # noqa: BLE001 -- any handler error is retried; _failed logs it
            self._latency.observe(time.perf_counter() - started)
            return self._failed(envelope, attempt, error_text(exc))
        elapsed = time.perf_counter() - started
        self._latency.observe(elapsed)
        outcome = "duplicate" if result is DUPLICATE else "handled"
        self._outcomes[outcome].inc()
        self._last_success.set(time.time())
        # Ids and type only: the data may hold an OTP code or a token.
        logger.info(
            "event %s",
            outcome,
            extra={
                "event_id": envelope.id,
                "event_type": envelope.type,
                "queue": self.spec.name,
                "attempt": attempt,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        return ACK

    def _failed(self, envelope: Envelope, attempt: int, error: str) -> Decision:
        self._outcomes["failed"].inc()
        last = attempt >= self.spec.max_attempts
        logger.exception(
            "handler failed for event %s (%s) on %s, attempt %d of %d%s",
            envelope.id,
            envelope.type,
            self.spec.name,
            attempt,
            self.spec.max_attempts,
            "; dead-lettering it" if last else "; it will be retried",
        )
        if last:
            self._outcomes["dead_lettered"].inc()
            return Decision(Verdict.DEAD, error=error)
        self._outcomes["retried"].inc()
        return Decision(Verdict.RETRY, self.spec.delay_after(attempt), attempt + 1, error)


class Backoff:
    """Exponential reconnect delays: 0.5 s, 1 s, 2 s, ... up to ``maximum``."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._failures = 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.initial * 2**self._failures)
        self._failures += 1
        return delay

    def reset(self) -> None:
        self._failures = 0
