"""The Broker on kombu's virtual transports: no broker process (``make run``, unit tests).

``sqla+sqlite:///var/broker.db`` keeps messages in a SQLite file shared by every local
process; ``memory://`` keeps them in this process (unit tests). kombu stores a message when
``publish`` writes it (a committed row for SQLite), so a returned publish is a confirmed one.

These transports have neither message TTL nor dead-letter exchanges, so the consumer does
both itself: a failed message is copied to ``Q.retry.<ms>ms`` with an ``x-keel-due`` header
(the Unix time it may run again) and acked; the consume loop holds the head of each retry
queue unacked until it is due, then moves it back to ``Q``. Each retry queue has one delay,
so its head is always the next one due. Dead-lettering is a copy to ``Q.dead`` and an ack.

On ``sqla+`` URLs the channel is ``embedded_sqlite.AckingChannel``: kombu's SQLAlchemy
channel with real acknowledgements (an ack deletes the row) and a visibility timeout (a
message whose consumer was killed before its ack is delivered again once its lease expires,
30 s by default, ``?visibility_timeout=N`` in the URL), so a killed worker loses nothing, as
on RabbitMQ. A handler slower than the timeout may see its message twice; the inbox makes
that once in effect, as it does for RabbitMQ's redeliveries.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import kombu
from kombu.message import Message as KombuMessage

from keel_common.messaging.consuming import (
    DUE_HEADER,
    Backoff,
    ConsumerRun,
    Verdict,
)
from keel_common.messaging.dead_queue import (
    DEAD_AT_HEADER,
    Action,
    Visit,
    dead_letter_of,
    replay_headers,
)
from keel_common.messaging.embedded_sqlite import configure_kombu_models, embedded_url
from keel_common.messaging.envelope import Envelope
from keel_common.messaging.port import Broker, BrokerError, Handler, PublishError
from keel_common.messaging.topology import QueueSpec, platform_queues

logger = logging.getLogger(__name__)

_TICK = 0.25  # seconds between checks of the stop event and of the retry queues


def declare_topology(channel: Any, exchange: str, queues: Iterable[QueueSpec]) -> None:
    """Declare the exchange, every queue and binding in this process's transport state."""
    channel.exchange_declare(exchange=exchange, type="topic", durable=True)
    for spec in queues:
        for name in (spec.name, spec.dead_queue, *spec.retry_queues):
            channel.queue_declare(queue=name, durable=True, auto_delete=False)
        for key in spec.routing_keys:
            channel.queue_bind(queue=spec.name, exchange=exchange, routing_key=key)


class KombuBroker(Broker):
    """Any kombu virtual transport URL; thread-safe like ``RabbitMqBroker``."""

    def __init__(
        self,
        url: str,
        *,
        exchange: str,
        service: str,
        queues: Sequence[QueueSpec] | None = None,
        polling_interval: float = 0.1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._options: dict[str, Any] = {}
        self._visibility_timeout: float | None = None
        if url.startswith(("sqla+", "sqlalchemy+")):
            url, self._options, self._visibility_timeout = embedded_url(url)
        self.exchange = exchange
        self.service = service
        self.queues = tuple(platform_queues() if queues is None else queues)
        self._url = url
        self._polling_interval = polling_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None

    def _connect(self) -> tuple[kombu.Connection, Any]:
        connection = kombu.Connection(self._url, transport_options=self._options)
        try:
            # Not a transport option: kombu's SQLAlchemy transport hands those to create_engine.
            connection.transport.polling_interval = self._polling_interval
            channel = connection.channel()
            if self._visibility_timeout is not None:
                channel.visibility_timeout = self._visibility_timeout
            configure_kombu_models(channel)
            declare_topology(channel, self.exchange, self.queues)
        except BaseException:
            connection.release()
            raise
        return connection, channel

    def _open_producer(self) -> kombu.Producer:
        if self._producer is None:
            self._connection, channel = self._connect()
            self._producer = kombu.Producer(channel, auto_declare=False)
        return self._producer

    def publish(self, envelope: Envelope) -> None:
        self.publish_batch([envelope])

    def publish_batch(self, envelopes: Sequence[Envelope]) -> None:
        with self._lock:
            try:
                producer = self._open_producer()
                for envelope in envelopes:
                    _send(producer, envelope.to_json(), self.exchange, envelope.type, {},
                          envelope.id, envelope.type)  # fmt: skip
            except Exception as exc:
                # kombu raises the transport's own errors (sqlite's "database is locked", ...)
                self._release()
                raise PublishError(f"publishing failed: {exc!r}") from exc

    def check(self) -> None:
        with self._lock:
            try:
                producer = self._open_producer()
                if self.queues:
                    producer.channel.queue_declare(queue=self.queues[0].name, passive=True)
            except Exception as exc:
                self._release()
                raise BrokerError(f"the embedded broker is unusable: {exc!r}") from exc

    def dead_letter_count(self, spec: QueueSpec) -> int:
        return self._message_count(spec.dead_queue)

    def waiting_count(self, spec: QueueSpec) -> int:
        return self._message_count(spec.name)

    def _message_count(self, queue: str) -> int:
        with self._lock:
            try:
                channel = self._open_producer().channel
                return int(channel.queue_declare(queue=queue, passive=True).message_count)
            except Exception as exc:
                self._release()
                raise BrokerError(f"counting {queue} failed: {exc!r}") from exc

    def walk_dead_letters(self, spec: QueueSpec, visit: Visit, limit: int | None = None) -> None:
        try:
            connection, channel = self._connect()
        except Exception as exc:
            raise BrokerError(f"the embedded broker is unusable: {exc!r}") from exc
        try:
            _walk(channel, spec, visit, limit)
        except Exception as exc:
            raise BrokerError(f"walking {spec.dead_queue} failed: {exc!r}") from exc
        finally:
            connection.release()

    def close(self) -> None:
        with self._lock:
            self._release()

    def _release(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            connection.release()

    def consume(
        self,
        spec: QueueSpec,
        handler: Handler,
        *,
        prefetch: int = 100,
        stop: threading.Event,
    ) -> None:
        run = ConsumerRun(spec, handler, self.service)
        backoff = Backoff()
        while not stop.is_set():
            try:
                self._consume_connected(run, prefetch, stop, backoff)
            except Exception:
                # Whatever the transport raised (sqlite's "database is locked", a missing
                # file, ...): log it with its traceback and keep the worker alive.
                delay = backoff.next_delay()
                logger.warning(
                    "consumer of %s lost the embedded broker; retrying in %.1fs",
                    spec.name,
                    delay,
                    exc_info=True,
                )
                stop.wait(delay)

    def _consume_connected(
        self, run: ConsumerRun, prefetch: int, stop: threading.Event, backoff: Backoff
    ) -> None:
        connection, channel = self._connect()
        try:
            loop = _ConsumeLoop(run, channel, self._clock)
            consumer = kombu.Consumer(
                channel,
                queues=[kombu.Queue(run.spec.name, no_declare=True)],
                on_message=loop.on_message,
                prefetch_count=prefetch,
                auto_declare=False,
            )
            consumer.consume()
            backoff.reset()
            while not stop.is_set():
                loop.promote_due_retries()
                with contextlib.suppress(TimeoutError):  # nothing arrived within the tick
                    connection.drain_events(timeout=_TICK)
        finally:
            connection.release()


def _send(
    producer: kombu.Producer,
    body: bytes,
    exchange: str,
    routing_key: str,
    headers: Mapping[str, Any],
    message_id: str | None,
    event_type: str | None,
) -> None:
    producer.publish(
        body,
        exchange=exchange,
        routing_key=routing_key,
        content_type="application/json",
        content_encoding="utf-8",
        headers=dict(headers),
        delivery_mode=2,
        message_id=message_id,
        type=event_type,
    )


def _walk(channel: Any, spec: QueueSpec, visit: Visit, limit: int | None) -> None:
    producer = kombu.Producer(channel, auto_declare=False)
    queue = kombu.Queue(spec.dead_queue, no_declare=True)(channel)
    kept: list[KombuMessage] = []
    try:
        while limit is None or len(kept) < limit:
            message = queue.get(no_ack=False)
            if message is None:
                break
            properties, body = message.properties, _body(message)
            action = visit(dead_letter_of(body, properties.get("message_id"),
                                          properties.get("type"), message.headers))  # fmt: skip
            if action is Action.KEEP:
                kept.append(message)  # returned only at the end, or the next get finds it again
                continue
            if action is Action.REPLAY:
                _send(producer, body, "", spec.name, replay_headers(message.headers),
                      properties.get("message_id"), properties.get("type"))  # fmt: skip
            message.ack()
    finally:
        for message in kept:
            message.requeue()


def _body(message: KombuMessage) -> bytes:
    body = message.body
    return body if isinstance(body, bytes) else str(body).encode()


class _ConsumeLoop:
    """Carries out the verdicts on one channel and moves due retries back to the queue."""

    def __init__(self, run: ConsumerRun, channel: Any, clock: Callable[[], float]) -> None:
        self.run = run
        self.clock = clock
        self.producer = kombu.Producer(channel, auto_declare=False)
        self.retry_queues = [
            kombu.Queue(name, no_declare=True)(channel) for name in run.spec.retry_queues
        ]
        self.held: dict[str, KombuMessage] = {}
        self.next_check = 0.0
        self.next_lease = 0.0
        self.channel = channel

    def on_message(self, message: KombuMessage) -> None:
        body = _body(message)
        decision = self.run.process(body, message.headers)
        headers = decision.headers(message.headers)
        if decision.verdict is Verdict.RETRY:
            headers[DUE_HEADER] = self.clock() + decision.delay
            self._copy(message, body, self.run.spec.retry_queue(decision.delay), headers)
        elif decision.verdict is Verdict.DEAD:
            headers[DEAD_AT_HEADER] = self.clock()
            self._copy(message, body, self.run.spec.dead_queue, headers)
        message.ack()

    def _copy(
        self, message: KombuMessage, body: bytes, queue: str, headers: Mapping[str, Any]
    ) -> None:
        # The default exchange ("") routes straight to the queue named by the routing key.
        properties = message.properties
        _send(self.producer, body, "", queue, headers,
              properties.get("message_id"), properties.get("type"))  # fmt: skip

    def promote_due_retries(self) -> None:
        if time.monotonic() < self.next_check:
            return
        self.next_check = time.monotonic() + _TICK
        self._keep_leases()
        now = self.clock()
        for queue in self.retry_queues:
            while True:
                message = self.held.pop(queue.name, None) or queue.get(no_ack=False)
                if message is None:
                    break
                if float((message.headers or {}).get(DUE_HEADER, 0)) > now:
                    self.held[queue.name] = message  # the head is not due: nor is the rest
                    break
                headers = {k: v for k, v in (message.headers or {}).items() if k != DUE_HEADER}
                self._copy(message, _body(message), self.run.spec.name, headers)
                message.ack()

    def _keep_leases(self) -> None:
        # A held retry head may wait longer than the visibility timeout: keep it ours.
        extend = getattr(self.channel, "extend_leases", None)
        if extend is None or not self.held or time.monotonic() < self.next_lease:
            return
        self.next_lease = time.monotonic() + self.channel.visibility_timeout / 3
        extend()
