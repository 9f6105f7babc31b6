"""keel_common.db's pooled connections on a real PostgreSQL: idle ones, and ones the server
wrote to, are pinged before use (a dropped one is replaced, not handed to the request);
others are not."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from keel_common.db import create_engine


@pytest.fixture
def admin(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def pooled_backends(engine: sa.Engine, count: int) -> list[int]:
    """Put ``count`` connections in the pool (held at once, then returned): their pids."""
    held = [engine.connect() for _ in range(count)]
    pids = [int(c.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()) for c in held]
    for conn in held:
        conn.close()
    return pids


def terminate(admin: sa.Engine, pids: list[int]) -> None:
    """Drop the backends as a restart or an idle timeout would, and wait until they are gone."""
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM unnest(:p) pid"), {"p": pids})
        alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)")
        while conn.execute(alive, {"p": pids}).scalar_one():
            time.sleep(0.05)


def test_idle_connections_the_server_dropped_are_replaced_before_use(
    postgres_url: str, admin: sa.Engine
) -> None:
    engine = create_engine(postgres_url, ping_idle_after=0.2)
    try:
        dropped = pooled_backends(engine, 2)
        terminate(admin, dropped)
        time.sleep(0.3)  # past the idle threshold: the pool pings before handing one out

        # Each call answers, on a new connection: every dead one failed its ping.
        answered = [backend_pid(engine), backend_pid(engine), *pooled_backends(engine, 2)]
        assert not set(answered) & set(dropped)
    finally:
        engine.dispose()


def test_connections_the_server_dropped_moments_after_use_are_replaced_before_use(
    postgres_url: str, admin: sa.Engine
) -> None:
    engine = create_engine(postgres_url)  # well within the 5 s idle threshold below
    try:
        dropped = pooled_backends(engine, 2)
        terminate(admin, dropped)  # each backend sent its last error and closed the socket

        answered = [backend_pid(engine), backend_pid(engine), *pooled_backends(engine, 2)]
        assert not set(answered) & set(dropped)
    finally:
        engine.dispose()


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
            if not data:
                sink.close()
                return
            sink.sendall(data)

    def cut(self) -> None:
        for upstream, lost in self._flows:
            lost.set()
            upstream.shutdown(socket.SHUT_RDWR)
            upstream.close()

    def close(self) -> None:
        for each in self._sockets:
            each.close()


def test_idle_connections_lost_silently_are_replaced_before_use(postgres_url: str) -> None:
    url = sa.make_url(postgres_url)
    relay = SilentDrop(url.host or "127.0.0.1", url.port or 5432)
    engine = create_engine(url.set(host="127.0.0.1", port=relay.port), ping_idle_after=0.2)
    try:
        lost = backend_pid(engine)
        relay.cut()
        time.sleep(0.3)  # past the idle threshold; the socket stays silent (not readable)

        assert backend_pid(engine) != lost  # answered, on a new connection
    finally:
        engine.dispose()
        relay.close()


def test_a_connection_used_moments_ago_is_handed_out_without_a_ping(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(postgres_url)
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    try:
        first = backend_pid(engine)
        assert backend_pid(engine) == first  # the same pooled connection, reused at once
        assert pings == []
    finally:
        engine.dispose()
