"""Revoked login sessions, shared by every token verifier.

Why a shared denylist rather than a per-process cache fed by events: a verifier must reject
a revoked session's access tokens within a second in *every* process, including processes
started after the revocation and gunicorn workers of the embedded (``make run``) broker,
whose kombu transport routes messages only to queues declared in the publishing process.
One key lookup per verification is cheap (Redis EXISTS or an indexed SQLite read) and has
no cold-start gap. Entries expire with the last access token they can concern.

- ``RedisRevocationList`` when ``REDIS_URL`` is set (production: all services, all pods).
- ``SqliteRevocationList`` otherwise: a file every process on one machine shares (make run).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from keel_common.auth.principal import RevocationList
from keel_common.process import process_id
from keel_common.sqlite_wal import use_wal

DEFAULT_REVOCATIONS_PATH = "var/revoked-sessions.db"
_REDIS_PREFIX = "keel:auth:revoked-session:"


class InMemoryRevocationList(RevocationList):
    """One process only: for unit tests and single-process tools."""

    def __init__(self) -> None:
        self._until: dict[uuid.UUID, float] = {}
        self._lock = threading.Lock()

    def revoke(self, session_id: uuid.UUID, until: datetime) -> None:
        with self._lock:
            self._until[session_id] = max(until.timestamp(), self._until.get(session_id, 0.0))

    def is_revoked(self, session_id: uuid.UUID) -> bool:
        return self._until.get(session_id, 0.0) > time.time()


class RedisRevocationList(RevocationList):
    """A key per revoked session with a TTL; every service and replica reads the same Redis."""

    def __init__(self, client: Any) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisRevocationList:
        import redis  # imported here so services without Redis never need the client

        return cls(redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0))

    @staticmethod
    def key(session_id: uuid.UUID) -> str:
        """A session's key, present while it is revoked: a cache on the same Redis reads it
        in the round trip of its own keys."""
        return _REDIS_PREFIX + str(session_id)

    def revoke(self, session_id: uuid.UUID, until: datetime) -> None:
        self.revoke_many([session_id], until)

    def revoke_many(self, session_ids: Collection[uuid.UUID], until: datetime) -> None:
        ttl_ms = int((until.timestamp() - time.time()) * 1000)
        if ttl_ms <= 0 or not session_ids:
            return
        pipeline = self._redis.pipeline(transaction=False)
        for session_id in session_ids:
            pipeline.set(self.key(session_id), b"1", px=ttl_ms)
        pipeline.execute()

    def is_revoked(self, session_id: uuid.UUID) -> bool:
        return bool(self._redis.exists(self.key(session_id)))


class SqliteRevocationList(RevocationList):
    """A SQLite file shared by every process on one machine (the embedded default)."""

    def __init__(self, path: str | Path = DEFAULT_REVOCATIONS_PATH) -> None:
        self._path = Path(path)
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        # A connection must not cross a fork (gunicorn workers), so it is kept per process too.
        if conn is None or getattr(self._local, "pid", None) != process_id():
            # isolation_level=None: every statement commits at once, so readers in other
            # processes see a revocation immediately.
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=5.0, isolation_level=None)
            use_wal(conn, timeout=5.0)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS revoked_sessions"
                " (session_id TEXT PRIMARY KEY, until REAL NOT NULL)"
            )
            self._local.conn, self._local.pid = conn, process_id()
        return conn

    def revoke(self, session_id: uuid.UUID, until: datetime) -> None:
        self.revoke_many([session_id], until)

    def revoke_many(self, session_ids: Collection[uuid.UUID], until: datetime) -> None:
        conn = self._connect()
        with conn:  # sqlite3's own: COMMIT, or ROLLBACK on an error; one commit for them all
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO revoked_sessions (session_id, until) VALUES (?, ?)"
                " ON CONFLICT (session_id) DO UPDATE SET until = max(until, excluded.until)",
                [(str(session_id), until.timestamp()) for session_id in session_ids],
            )
            conn.execute("DELETE FROM revoked_sessions WHERE until < ?", (time.time(),))

    def is_revoked(self, session_id: uuid.UUID) -> bool:
        row = (
            self._connect()
            .execute(
                "SELECT 1 FROM revoked_sessions WHERE session_id = ? AND until > ?",
                (str(session_id), time.time()),
            )
            .fetchone()
        )
        return row is not None


def create_revocation_list(
    redis_url: str | None, path: str | Path = DEFAULT_REVOCATIONS_PATH
) -> RevocationList:
    """Redis when ``REDIS_URL`` is set, else the machine-local SQLite file at ``path``."""
    if redis_url:
        return RedisRevocationList.from_url(redis_url)
    return SqliteRevocationList(path)
