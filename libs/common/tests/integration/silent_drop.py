"""A TCP relay that loses its connections silently, for tests of dropped database links."""

from __future__ import annotations

import socket
import threading


class SilentDrop:
    """A TCP relay to PostgreSQL that can lose its connections silently, as a NAT or a
    firewall forgetting an idle flow does: the server side is closed, the client hears
    nothing until it next writes, and then its connection is reset. Connections made after
    ``cut`` are relayed normally."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flows: list[tuple[socket.socket, threading.Event]] = []
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream, lost = socket.create_connection(self._target), threading.Event()
            self._flows.append((upstream, lost))
            self._sockets += [client, upstream]
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

    def close(self) -> None:
        for each in self._sockets:
            each.close()
