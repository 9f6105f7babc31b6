"""TCP relays that fail the way networks do, for tests of links that drop or go silent."""

from __future__ import annotations

import abc
import socket
import threading
from typing import Any


class _Relay(abc.ABC):
    """Relays 127.0.0.1:``port`` to ``host``:``target_port``, two threads per connection."""

    def __init__(self, host: str, target_port: int) -> None:
        self._target = (host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            self._sockets += [client, upstream]
            self._relay_flow(client, upstream)

    @abc.abstractmethod
    def _relay_flow(self, client: socket.socket, upstream: socket.socket) -> None:
        """Start passing bytes between a new client connection and its upstream one."""

    def close(self) -> None:
        for each in self._sockets:
            each.close()


class SilentDrop(_Relay):
    """A TCP relay to PostgreSQL that can lose its connections silently, as a NAT or a
    firewall forgetting an idle flow does: the server side is closed, the client hears
    nothing until it next writes, and then its connection is reset. Connections made after
    ``cut`` are relayed normally."""

    def __init__(self, host: str, port: int) -> None:
        self._flows: list[tuple[socket.socket, threading.Event]] = []
        super().__init__(host, port)

    def _relay_flow(self, client: socket.socket, upstream: socket.socket) -> None:
        lost = threading.Event()
        self._flows.append((upstream, lost))
        for source, sink in ((client, upstream), (upstream, client)):
            relay = threading.Thread(target=self._relay, args=(source, sink, client, lost))
            relay.daemon = True
            relay.start()

    def _relay(self, source: socket.socket, sink: socket.socket, client: socket.socket,
               lost: threading.Event) -> None:  # fmt: skip
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if lost.is_set():
                if source is client:
                    client.close()  # the client spoke on a lost flow: reset
                return
            try:
                if not data:
                    sink.close()
                    return
                sink.sendall(data)
            except OSError:  # the other side is gone (or the relay was closed)
                return

    def cut(self) -> None:
        for upstream, lost in self._flows:
            lost.set()
            upstream.shutdown(socket.SHUT_RDWR)
            upstream.close()


class FreezingRelay(_Relay):
    """A path that goes silent and later heals (a partition, a stalled middlebox):
    ``freeze`` holds every byte in both directions, closing nothing, so no error reaches
    either end, until ``thaw``."""

    def __init__(self, host: str, port: int) -> None:
        self._thawed = threading.Event()
        self._thawed.set()
        super().__init__(host, port)

    def freeze(self) -> None:
        self._thawed.clear()

    def thaw(self) -> None:
        self._thawed.set()

    def _relay_flow(self, client: socket.socket, upstream: socket.socket) -> None:
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            self._thawed.wait()
            try:
                data = source.recv(65536)
                self._thawed.wait()
                if not data:
                    sink.close()
                    return
                sink.sendall(data)
            except OSError:
                return

    def __enter__(self) -> FreezingRelay:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._thawed.set()
        self.close()
