"""Publishing with pipelined publisher confirms over pika's asynchronous connection.

pika's ``BlockingChannel`` in confirm mode waits for each message's confirm before sending
the next one: one loopback round trip (and one broker fsync) per message. Here every message
of a batch is written first, then pika's I/O loop runs in the calling thread -- driven the way
pika's own ``BlockingConnection`` drives it (``poll`` + ``process_timeouts``) -- until the
broker has confirmed (or refused) all of them, so a batch costs about one round trip.

The loop only runs inside a call; the connection therefore has AMQP heartbeats off (an idle
publisher would miss them and be dropped) and relies on TCP keepalive and the confirm
timeout. A connection the broker closed while we were idle shows up at the next publish as
``ConnectionLost``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pika
import pika.channel
import pika.exceptions
import pika.frame
import pika.spec
from pika.adapters.select_connection import IOLoop

from keel_common.messaging.port import PublishError

#: (exchange, routing key, body, properties) of one message.
Message = tuple[str, str, bytes, pika.BasicProperties]


class ConnectionLost(PublishError):
    """The connection went away (or never came); a new one may well succeed."""


class ConfirmingPublisher:
    """One connection and confirm-mode channel; not thread-safe (the broker holds a lock)."""

    def __init__(self, parameters: pika.ConnectionParameters, *, timeout: float) -> None:
        self._parameters = parameters
        self._timeout = timeout
        self._ioloop: IOLoop | None = None
        self._connection: pika.SelectConnection | None = None
        self._channel: pika.channel.Channel | None = None
        self._ready = False
        self._error: object = None
        self._timed_out = False
        self._last_tag = 0
        self._unconfirmed: set[int] = set()
        self._nacked = 0

    @property
    def is_open(self) -> bool:
        return self._ready and self._error is None

    def open(self) -> None:
        """Connect and enable confirms; raises ``ConnectionLost`` when the broker is away."""
        self._ioloop = IOLoop()
        self._ioloop.activate_poller()
        self._connection = pika.SelectConnection(
            self._parameters,
            on_open_callback=self._on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed,
            custom_ioloop=self._ioloop,
        )
        self._run_until(lambda: self._ready)

    def poll(self) -> None:
        """Read what the broker sent meanwhile (a close frame after a restart, say)."""
        if self._ioloop is not None and self._error is None:
            self._ioloop.call_later(0, _nothing)  # makes the poll below return at once
            self._ioloop.poll()
            self._ioloop.process_timeouts()

    def publish(self, messages: Sequence[Message]) -> None:
        """Send every message, then wait for all their confirms; raise unless all were acked."""
        if self._channel is None or not self.is_open:
            raise ConnectionLost("the publisher is not connected")
        self._unconfirmed.clear()
        self._nacked = 0
        try:
            for exchange, routing_key, body, properties in messages:
                self._channel.basic_publish(exchange, routing_key, body, properties)
                self._last_tag += 1
                self._unconfirmed.add(self._last_tag)
        except pika.exceptions.AMQPError as exc:
            self._error = exc
            raise ConnectionLost(f"publishing failed: {exc!r}") from exc
        self._run_until(lambda: not self._unconfirmed)
        if self._nacked:
            raise PublishError(f"the broker refused {self._nacked} of {len(messages)} messages")

    def close(self) -> None:
        """Close the connection (politely when it is still up) and release its I/O loop."""
        connection, ioloop = self._connection, self._ioloop
        self._channel = None
        self._ready = False
        if connection is not None and not connection.is_closed:
            try:
                if not connection.is_closing:
                    connection.close()
                # The channel's and the connection's close callbacks report errors on the
                # way: keep the loop running until the socket is really closed.
                self._run_until(lambda: connection.is_closed, stop_on_error=False)
            except (PublishError, pika.exceptions.ConnectionWrongStateError):
                pass  # it is going away anyway; the I/O loop is released below
        self._connection = self._ioloop = None
        if ioloop is not None:
            ioloop.close()

    def _run_until(self, done: Callable[[], bool], *, stop_on_error: bool = True) -> None:
        assert self._ioloop is not None
        ioloop = self._ioloop
        self._timed_out = False
        timer = ioloop.call_later(self._timeout, self._on_timeout)
        try:
            while not (done() or self._timed_out or (stop_on_error and self._error is not None)):
                ioloop.poll()
                ioloop.process_timeouts()
        finally:
            ioloop.remove_timeout(timer)
        if self._timed_out and not done():
            self._error = TimeoutError(f"no answer from the broker within {self._timeout}s")
            raise PublishError(f"the broker did not answer: {self._error!r}")
        if self._error is not None:
            raise ConnectionLost(f"the broker connection failed: {self._error!r}")

    def _on_timeout(self) -> None:
        self._timed_out = True

    def _on_open(self, connection: Any) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_open_error(self, _connection: Any, error: BaseException | str) -> None:
        self._error = error

    def _on_closed(self, _connection: Any, reason: BaseException) -> None:
        self._error = reason
        self._ready = False

    def _on_channel_open(self, channel: pika.channel.Channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=self._on_select_ok)

    def _on_channel_closed(self, _channel: Any, reason: BaseException) -> None:
        self._error = reason
        self._ready = False

    def _on_select_ok(self, _frame: pika.frame.Method) -> None:
        self._last_tag = 0
        self._ready = True

    def _on_confirm(self, frame: pika.frame.Method) -> None:
        method = frame.method
        tag = method.delivery_tag
        if method.multiple:
            settled = {t for t in self._unconfirmed if t <= tag}
        else:
            settled = {tag} & self._unconfirmed
        self._unconfirmed -= settled
        if isinstance(method, pika.spec.Basic.Nack):
            self._nacked += len(settled)


def _nothing() -> None:
    pass
