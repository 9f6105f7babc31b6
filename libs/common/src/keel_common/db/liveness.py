"""Pooled connections to a database server are pinged when they sat idle, not on every use.

``pool_pre_ping`` pays a round trip (``SELECT 1``) on every checkout: on a primary-key read
it doubled the round trips of the request (issue #12). This is SQLAlchemy's "pessimistic,
custom" recipe (Dealing with Disconnects) on the pool's ``checkout`` event: a connection
idle for longer than ``idle_seconds`` is pinged first, and one that fails the ping is
discarded with ``DisconnectionError``, after which the pool hands out a fresh one, so the
request never sees the dead connection.

Why skipping the ping on a connection used in the last few seconds is safe:

- A connection that just answered a statement was alive then; connections die mostly while
  idle (database restarts and failovers between bursts, ``idle_session_timeout``, NAT and
  firewall idle timeouts of minutes), and those are the ones still pinged.
- When the server drops connections within that window anyway (a restart moments after
  a burst), the first statement on one of them fails as a disconnect and SQLAlchemy then
  invalidates the whole pool: every connection opened before the failure is replaced on
  its next checkout. A drop costs at most the requests that took such a connection before
  that first failure, per process; pre-ping could not save a request either whose
  connection dropped between its ping and its statement.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

DEFAULT_IDLE_SECONDS = 5.0
_RETURNED_AT = "keel_returned_at"


def ping_when_idle(engine: Engine, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> None:
    """Ping a connection of ``engine``'s pool before it is handed out if it was last
    returned more than ``idle_seconds`` ago; a dead one is replaced by a new connection."""
    dialect = engine.dialect

    def returned(_dbapi_connection: Any, record: Any) -> None:
        # ``record.info`` belongs to this DBAPI connection: a replacement starts without it.
        record.info[_RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return  # just connected, or used moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError("idle connection failed its ping") from error
            raise

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)
