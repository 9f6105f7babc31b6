"""``FakeBroker``: the Broker port in memory, for unit tests of publishers and consumers.

It keeps what was published, can be told to refuse publishes (a broker outage), and its
``consume`` runs a handler over the published events a queue is bound to, with the real
retry/dead-letter decisions (``ConsumerRun``) but without waiting for retry delays.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Sequence

from keel_common.messaging.consuming import ATTEMPT_HEADER, ConsumerRun, Verdict
from keel_common.messaging.envelope import Envelope
from keel_common.messaging.port import Broker, BrokerError, Handler, PublishError
from keel_common.messaging.topology import QueueSpec


def _topic_pattern(binding: str) -> re.Pattern[str]:
    """Topic binding as kombu's embedded transport reads it: ``*`` one word, ``#`` any."""
    wildcards = {"*": r"[^.]+", "#": r".*?"}
    words = [wildcards.get(word, re.escape(word)) for word in binding.split(".")]
    return re.compile(r"\.".join(words) + r"\Z")


class FakeBroker(Broker):
    def __init__(self, service: str = "test") -> None:
        self.service = service
        self.published: list[Envelope] = []
        #: Set to an exception to make every publish raise it (wrapped in PublishError).
        self.failure: Exception | None = None
        self.reachable = True
        self.dead: dict[str, list[bytes]] = defaultdict(list)
        self._consumed: dict[str, int] = defaultdict(int)
        self.closed = False

    def publish(self, envelope: Envelope) -> None:
        self.publish_batch([envelope])

    def publish_batch(self, envelopes: Sequence[Envelope]) -> None:
        if self.failure is not None:
            raise PublishError(f"fake broker refused the publish: {self.failure!r}")
        self.published.extend(envelopes)

    def consume(
        self,
        spec: QueueSpec,
        handler: Handler,
        *,
        prefetch: int = 100,
        stop: threading.Event,
    ) -> None:
        """Deliver every not yet consumed published event bound to ``spec``, then return."""
        run = ConsumerRun(spec, handler, self.service)
        patterns = [_topic_pattern(key) for key in spec.routing_keys]
        start = self._consumed[spec.name]
        self._consumed[spec.name] = len(self.published)
        for envelope in self.published[start:]:
            if stop.is_set():
                return
            if any(p.match(envelope.type) for p in patterns):
                self.deliver(run, envelope.to_json())

    def deliver(self, run: ConsumerRun, body: bytes) -> None:
        """One message through the consumer, retried at once until acked or dead-lettered."""
        attempt = 1
        while True:
            decision = run.process(body, {ATTEMPT_HEADER: attempt})
            if decision.verdict is Verdict.ACK:
                return
            if decision.verdict is Verdict.DEAD:
                self.dead[run.spec.name].append(body)
                return
            attempt = decision.next_attempt

    def dead_letter_count(self, spec: QueueSpec) -> int:
        self.check()
        return len(self.dead[spec.name])

    def check(self) -> None:
        if not self.reachable:
            raise BrokerError("fake broker is unreachable")

    def close(self) -> None:
        self.closed = True
