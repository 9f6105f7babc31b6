"""``FakeBroker``: the Broker port in memory, for unit tests of publishers and consumers.

It keeps what was published, can be told to refuse publishes (a broker outage), and its
``consume`` runs a handler over the published events a queue is bound to, with the real
retry/dead-letter decisions (``ConsumerRun``) but without waiting for retry delays.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Sequence

from keel_common.messaging.consuming import ATTEMPT_HEADER, ConsumerRun, Verdict
from keel_common.messaging.dead_queue import DEAD_AT_HEADER, Action, Visit, dead_letter_of
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
        self._dead_headers: dict[str, list[dict[str, object]]] = defaultdict(list)
        #: Replayed dead letters per queue, delivered first by the next ``consume``.
        self.replayed: dict[str, list[bytes]] = defaultdict(list)
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
        while self.replayed[spec.name] and not stop.is_set():
            self.deliver(run, self.replayed[spec.name].pop(0))
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
                headers = decision.headers({DEAD_AT_HEADER: time.time()})
                self._dead_headers[run.spec.name].append(headers)
                return
            attempt = decision.next_attempt

    def dead_letter_count(self, spec: QueueSpec) -> int:
        self.check()
        return len(self.dead[spec.name])

    def waiting_count(self, spec: QueueSpec) -> int:
        """Published events bound to ``spec`` that no ``consume`` delivered yet."""
        self.check()
        patterns = [_topic_pattern(key) for key in spec.routing_keys]
        unseen = self.published[self._consumed[spec.name] :]
        bound = sum(1 for e in unseen if any(p.match(e.type) for p in patterns))
        return bound + len(self.replayed[spec.name])

    def walk_dead_letters(self, spec: QueueSpec, visit: Visit, limit: int | None = None) -> None:
        self.check()
        kept: list[tuple[bytes, dict[str, object]]] = []
        headers = self._dead_headers[spec.name]
        headers.extend({} for _ in range(len(self.dead[spec.name]) - len(headers)))
        for body, found in zip(self.dead[spec.name], headers, strict=True):
            if limit is not None and len(kept) >= limit:
                kept.append((body, found))
                continue
            action = visit(dead_letter_of(body, None, None, found))
            if action is Action.KEEP:
                kept.append((body, found))
            elif action is Action.REPLAY:
                self.replayed[spec.name].append(body)
        self.dead[spec.name] = [body for body, _ in kept]
        self._dead_headers[spec.name] = [found for _, found in kept]

    def check(self) -> None:
        if not self.reachable:
            raise BrokerError("fake broker is unreachable")

    def close(self) -> None:
        self.closed = True
