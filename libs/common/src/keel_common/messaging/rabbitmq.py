"""The Broker on RabbitMQ, with pika.

Measured (bench/messaging/run.py): kombu over py-amqp publishes with confirms at well under
80 % of raw pika, so RabbitMQ gets its own adapter on pika, and kombu serves only the
embedded transports. Publishing pipelines confirms (``ConfirmingPublisher``); consuming is
pika's ``BlockingConnection`` with manual acks.

Retries go through the queue's own direct exchange (``Q.retry``) to one TTL queue per delay
(``Q.retry.<ms>ms``), whose expired messages the broker dead-letters back to ``Q`` through
the default exchange; a message rejected without requeue
goes through ``<exchange>.dlx`` to ``Q.dead``, keeping RabbitMQ's ``x-death`` record (and the
first error, ``x-keel-error``, which the retry copies carry).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import pika
import pika.exceptions
import pika.spec
from pika.adapters.blocking_connection import BlockingChannel

from keel_common.messaging.consuming import Backoff, ConsumerRun, Verdict
from keel_common.messaging.dead_queue import Action, Visit, dead_letter_of, replay_headers
from keel_common.messaging.envelope import Envelope
from keel_common.messaging.port import Broker, BrokerError, Handler, PublishError
from keel_common.messaging.rabbitmq_publisher import ConfirmingPublisher, ConnectionLost, Message
from keel_common.messaging.topology import QueueSpec, dead_letter_exchange, platform_queues

logger = logging.getLogger(__name__)

PERSISTENT = pika.DeliveryMode.Persistent
# Errors after which a consumer reconnects; a handler's own exceptions never get this far.
_CONNECTION_ERRORS = (pika.exceptions.AMQPError, OSError)


def declare_topology(channel: BlockingChannel, exchange: str, queues: Iterable[QueueSpec]) -> None:
    """Declare the events exchange, the DLX and every queue; a no-op when they exist."""
    dlx = dead_letter_exchange(exchange)
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.exchange_declare(dlx, "direct", durable=True)
    for spec in queues:
        channel.queue_declare(
            spec.name,
            durable=True,
            arguments={"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": spec.name},
        )
        for key in spec.routing_keys:
            channel.queue_bind(spec.name, exchange, routing_key=key)
        channel.queue_declare(spec.dead_queue, durable=True)
        channel.queue_bind(spec.dead_queue, dlx, routing_key=spec.name)
        channel.exchange_declare(spec.retry_exchange, "direct", durable=True)
        for retry_queue, millis in spec.retry_queues.items():
            channel.queue_declare(
                retry_queue,
                durable=True,
                arguments={
                    "x-message-ttl": millis,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": spec.name,
                },
            )
            channel.queue_bind(retry_queue, spec.retry_exchange, routing_key=retry_queue)


def _properties(envelope: Envelope) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type="application/json",
        delivery_mode=PERSISTENT,
        message_id=envelope.id,
        type=envelope.type,
    )


class RabbitMqBroker(Broker):
    """``amqp://`` URLs. Thread-safe: publishing is serialised, each consume has its own link."""

    def __init__(
        self,
        url: str,
        *,
        exchange: str,
        service: str,
        queues: Sequence[QueueSpec] | None = None,
        confirm_timeout: float = 30.0,
    ) -> None:
        self.exchange = exchange
        self.service = service
        self.queues = tuple(platform_queues() if queues is None else queues)
        self._url = url
        pika.URLParameters(url)  # a malformed URL fails here, at start-up
        self._confirm_timeout = confirm_timeout
        self._lock = threading.Lock()
        self._publisher: ConfirmingPublisher | None = None

    def publish(self, envelope: Envelope) -> None:
        self.publish_batch([envelope])

    def publish_batch(self, envelopes: Sequence[Envelope]) -> None:
        if not envelopes:
            return
        messages: list[Message] = [
            (self.exchange, e.type, e.to_json(), _properties(e)) for e in envelopes
        ]
        with self._lock:
            try:
                self._open_publisher().publish(messages)
            except ConnectionLost:
                # A connection the broker dropped while we were idle (a restart, a failover)
                # shows only now. Sending the batch again on a fresh one is safe: delivery is
                # at least once anyway, and consumers dedupe by event id.
                self._drop_publisher()
                self._publish_on_new_connection(messages)
            except PublishError:
                self._drop_publisher()
                raise

    def _publish_on_new_connection(self, messages: list[Message]) -> None:
        try:
            self._open_publisher().publish(messages)
        except PublishError:
            self._drop_publisher()
            raise

    def check(self) -> None:
        with self._lock:
            if self._publisher is not None:
                self._publisher.poll()  # notice a connection the broker dropped meanwhile
            self._open_publisher()

    def dead_letter_count(self, spec: QueueSpec) -> int:
        return self._message_count(spec.dead_queue)

    def waiting_count(self, spec: QueueSpec) -> int:
        return self._message_count(spec.name)

    def _message_count(self, queue: str) -> int:
        try:
            connection = pika.BlockingConnection(self._connection_parameters(role="admin"))
        except _CONNECTION_ERRORS as exc:
            raise BrokerError(f"RabbitMQ is unreachable: {exc!r}") from exc
        try:
            frame = connection.channel().queue_declare(queue, passive=True)
            return int(frame.method.message_count)
        except _CONNECTION_ERRORS as exc:  # NOT_FOUND: nothing declared the queue yet
            raise BrokerError(f"counting {queue} failed: {exc!r}") from exc
        finally:
            _close_quietly(connection)

    def walk_dead_letters(self, spec: QueueSpec, visit: Visit, limit: int | None = None) -> None:
        try:
            connection = pika.BlockingConnection(self._connection_parameters(role="admin"))
        except _CONNECTION_ERRORS as exc:
            raise BrokerError(f"RabbitMQ is unreachable: {exc!r}") from exc
        try:
            channel = connection.channel()
            channel.confirm_delivery()  # a replayed copy is stored before its dead letter goes
            _walk(channel, spec, visit, limit)
        except _CONNECTION_ERRORS as exc:
            raise BrokerError(f"walking {spec.dead_queue} failed: {exc!r}") from exc
        finally:
            _close_quietly(connection)  # every message still unacked goes back to the queue

    def declare(self) -> None:
        """Declare the exchange and this broker's queues now (``keel-<svc> migrate``)."""
        self._declare()

    def close(self) -> None:
        with self._lock:
            self._drop_publisher()

    def _open_publisher(self) -> ConfirmingPublisher:
        """The publishing connection, (re)opened and the topology declared if needed.

        A connection the broker closed while we were idle is only noticed by the next publish
        (``ConnectionLost``), which then retries once on a new one.
        """
        if self._publisher is not None:
            if self._publisher.is_open:
                return self._publisher
            self._drop_publisher()
        self._declare()
        parameters = self._connection_parameters(heartbeat=0, role="publisher")
        publisher = ConfirmingPublisher(parameters, timeout=self._confirm_timeout)
        try:
            publisher.open()
        except PublishError:
            publisher.close()
            raise
        self._publisher = publisher
        return publisher

    def _drop_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            publisher.close()

    def _declare(self) -> None:
        try:
            connection = pika.BlockingConnection(self._connection_parameters(role="setup"))
        except _CONNECTION_ERRORS as exc:
            raise BrokerError(f"RabbitMQ is unreachable: {exc!r}") from exc
        try:
            declare_topology(connection.channel(), self.exchange, self.queues)
        except _CONNECTION_ERRORS as exc:
            # e.g. PRECONDITION_FAILED: a queue exists with other arguments than the registry's
            raise BrokerError(f"declaring the topology failed: {exc!r}") from exc
        finally:
            _close_quietly(connection)

    def _connection_parameters(
        self, *, role: str, heartbeat: int | None = None
    ) -> pika.URLParameters:
        parameters = pika.URLParameters(self._url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = 5
        parameters.blocked_connection_timeout = self._confirm_timeout
        parameters.client_properties = {"connection_name": f"{self.service} {role}"}
        if heartbeat is not None:
            parameters.heartbeat = heartbeat
        return parameters

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
            except _CONNECTION_ERRORS as exc:
                delay = backoff.next_delay()
                logger.warning(
                    "consumer of %s lost RabbitMQ (%r); reconnecting in %.1fs",
                    spec.name,
                    exc,
                    delay,
                )
                stop.wait(delay)

    def _consume_connected(
        self, run: ConsumerRun, prefetch: int, stop: threading.Event, backoff: Backoff
    ) -> None:
        connection = pika.BlockingConnection(
            self._connection_parameters(role=f"consumer {run.spec.name}")
        )
        try:
            channel = connection.channel()
            declare_topology(channel, self.exchange, self.queues)
            channel.confirm_delivery()  # the retry copy must be stored before the ack
            channel.basic_qos(prefetch_count=prefetch)
            channel.basic_consume(run.spec.name, functools.partial(_on_message, run))
            backoff.reset()
            while not stop.is_set():
                connection.process_data_events(time_limit=0.5)
        finally:
            _close_quietly(connection)


def _on_message(
    run: ConsumerRun,
    channel: BlockingChannel,
    method: pika.spec.Basic.Deliver,
    properties: pika.BasicProperties,
    body: bytes,
) -> None:
    decision = run.process(body, properties.headers)
    if decision.verdict is Verdict.RETRY:
        headers: dict[str, Any] = decision.headers(properties.headers)
        retry = pika.BasicProperties(
            content_type=properties.content_type,
            delivery_mode=PERSISTENT,
            message_id=properties.message_id,
            type=properties.type,
            headers=headers,
        )
        retry_queue = run.spec.retry_queue(decision.delay)
        channel.basic_publish(run.spec.retry_exchange, retry_queue, body, retry)
    if decision.verdict is Verdict.DEAD:
        channel.basic_reject(method.delivery_tag, requeue=False)
    else:
        channel.basic_ack(method.delivery_tag)


def _walk(channel: BlockingChannel, spec: QueueSpec, visit: Visit, limit: int | None) -> None:
    # Unacked messages are not delivered twice on one channel: each get returns a new one.
    kept = 0
    while limit is None or kept < limit:
        method, properties, body = channel.basic_get(spec.dead_queue, auto_ack=False)
        if method is None:
            return
        action = visit(dead_letter_of(body, properties.message_id, properties.type,
                                      properties.headers))  # fmt: skip
        if action is Action.KEEP:
            kept += 1
            continue
        if action is Action.REPLAY:
            replayed = pika.BasicProperties(
                content_type=properties.content_type,
                delivery_mode=PERSISTENT,
                message_id=properties.message_id,
                type=properties.type,
                headers=replay_headers(properties.headers),
            )
            channel.basic_publish("", spec.name, body, replayed)
        channel.basic_ack(method.delivery_tag)


def _close_quietly(connection: pika.BlockingConnection) -> None:
    if connection.is_open:
        try:
            connection.close()
        except _CONNECTION_ERRORS:
            logger.debug("closing a broken RabbitMQ connection failed", exc_info=True)
