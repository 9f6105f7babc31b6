"""keel_common.db's pooled connections on a real PostgreSQL: idle ones, and ones the server
wrote to, are pinged before use (a dropped one is replaced, not handed to the request);
others are not."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from keel_common.db import create_engine

from .relays import SilentDrop


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
