"""Pooled connections to a database server are pinged when they may have died, not on every
use.

``pool_pre_ping`` pays a round trip (``SELECT 1``) on every checkout: on a primary-key read
it doubled the round trips of the request (issue #12). This is SQLAlchemy's "pessimistic,
custom" recipe (Dealing with Disconnects) on the pool's ``checkout`` event. A connection is
pinged first when

- it sat idle in the pool for longer than ``idle_seconds``: database restarts and failovers
  between bursts, ``idle_session_timeout``, NAT and firewall timeouts drop idle connections,
  some silently; or
- the server sent it something while it sat in the pool (its socket is readable, checked
  without a round trip): a backend that is terminated or shut down sends its last error
  and closes the socket, so a restart is noticed even moments after the last use.

A connection that fails the ping is discarded with ``DisconnectionError`` and the pool hands
out a fresh one, so the request never sees the dead connection.

Why skipping the ping on a connection used in the last few seconds is safe: it answered a
statement moments ago, and the server has not spoken since (a server going away speaks).
What is left is a connection lost silently within those seconds (a network partition); its
first statement then fails as a disconnect, and SQLAlchemy invalidates the whole pool
(every connection opened before the failure is replaced on its next checkout), so that
costs at most the requests that took such a connection before the first failure, per
process. Pre-ping could not save a request either whose connection dropped between its
ping and its statement.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

DEFAULT_IDLE_SECONDS = 5.0
_RETURNED_AT = "keel_returned_at"


def ping_when_idle(engine: Engine, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> None:
    """Ping a connection of ``engine``'s pool before it is handed out if it was last returned
    more than ``idle_seconds`` ago or the server wrote to it since; a dead one is replaced."""
    dialect = engine.dialect

    def returned(_dbapi_connection: Any, record: Any) -> None:
        # ``record.info`` belongs to this DBAPI connection: a replacement starts without it.
        record.info[_RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None:
            return  # just connected
        idle = time.monotonic() - returned_at > idle_seconds
        if not idle and not server_spoke(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError("pooled connection failed its ping") from error
            raise

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)


def server_spoke(dbapi_connection: Any) -> bool:
    """True when the socket of an idle connection has something to read (or is closed):
    between statements a server only writes when it goes away (or for a LISTEN, which the
    ping then simply consumes). False when that cannot be told (no socket, no poll)."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None or not hasattr(select, "poll"):
        return False
    try:
        descriptor = fileno()
    except Exception:  # noqa: BLE001 - a closed connection has no socket: let the ping tell
        return True
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(0))
