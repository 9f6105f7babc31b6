"""keel_common.db's pooled connections on a real PostgreSQL: idle ones are pinged before use
(a dropped one is replaced, not handed to the request), busy ones are not."""

from __future__ import annotations

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


def terminate(admin: sa.Engine, pid: int) -> None:
    """Drop the backend as a restart or an idle timeout would, and wait until it is gone."""
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        while conn.execute(alive, {"pid": pid}).scalar_one():
            time.sleep(0.05)


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    postgres_url: str, admin: sa.Engine
) -> None:
    engine = create_engine(postgres_url, ping_idle_after=0.2)
    try:
        dropped = backend_pid(engine)
        terminate(admin, dropped)
        time.sleep(0.3)  # past the idle threshold: the pool pings before handing it out

        assert backend_pid(engine) != dropped  # answered, on a new connection
    finally:
        engine.dispose()


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
