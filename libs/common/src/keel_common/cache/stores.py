"""The shared key-value stores behind the generational caches (``keel_common.cache``).

``RedisStore`` in production: one Redis shared by every replica and worker. ``SqliteStore``
for the embedded default (``make run``): a file next to the SQLite database, so exactly the
processes that share the database (a service's gunicorn workers, its gRPC server) share the
cache, with SQLite's own locking for cross-process consistency and no server to run. A hit
there is one primary-key SELECT of a blob. ``InMemoryStore`` is the fake for unit tests.
"""

from __future__ import annotations

import abc
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from keel_common.process import process_id
from keel_common.sqlite_wal import use_wal


class CacheUnavailable(Exception):
    """The store did not answer (connection refused, timeout, locked file)."""


class KeyValueStore(abc.ABC):
    """The few operations the cache needs; every one raises ``CacheUnavailable`` on failure."""

    @abc.abstractmethod
    def get_many(self, keys: list[str]) -> list[bytes | None]: ...

    @abc.abstractmethod
    def set_many(self, values: dict[str, bytes], ttl: float) -> None: ...

    @abc.abstractmethod
    def setdefault(self, key: str, value: bytes, ttl: float) -> bytes:
        """Store ``value`` unless ``key`` holds one; return what ``key`` holds afterwards."""


class InMemoryStore(KeyValueStore):
    """A ``KeyValueStore`` in a dict (no expiry); ``down = True`` makes every call fail."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.down = False

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        self._check()
        return [self.values.get(key) for key in keys]

    def set_many(self, values: dict[str, bytes], ttl: float) -> None:
        self._check()
        self.values.update(values)

    def setdefault(self, key: str, value: bytes, ttl: float) -> bytes:
        self._check()
        return self.values.setdefault(key, value)

    def _check(self) -> None:
        if self.down:
            raise CacheUnavailable("the in-memory store is down")


# Short: a cache that does not answer at once is worth less than the database behind it.
REDIS_TIMEOUT = 0.25


class RedisStore(KeyValueStore):
    """Reads (one ``MGET`` per cache read, the hot path) go over a connection of the
    calling thread's own; writes go through the client's pool. The pool locks, polls the
    socket for stray data and wraps each command in its retry loop on every call: as much
    CPU as the round trip itself, on every cache read."""

    def __init__(self, url: str) -> None:
        import redis  # imported here so a deployment without Redis never needs the client

        self._errors = (redis.RedisError, OSError)
        self._dropped = redis.ConnectionError
        self._redis = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self._local = threading.local()

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        try:
            try:
                return self._mget(keys)
            except self._dropped:
                # A connection the server closed while idle (a restart, a timeout): once
                # more on a new one, as the pool would; a server that is down fails again.
                return self._mget(keys)
        except self._errors as exc:
            raise CacheUnavailable(str(exc)) from exc

    def _mget(self, keys: list[str]) -> list[bytes | None]:
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != process_id():
            pool = self._redis.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            local.connection, local.pid = connection, process_id()
        try:
            connection.send_command("MGET", *keys)
            values: list[bytes | None] = connection.read_response()
        except BaseException:
            connection.disconnect()  # a reply may be half read: never reuse the socket
            raise
        return values

    def set_many(self, values: dict[str, bytes], ttl: float) -> None:
        def _write() -> None:
            pipe = self._redis.pipeline(transaction=False)
            for key, value in values.items():
                pipe.set(key, value, px=int(ttl * 1000))
            pipe.execute()

        self._call(_write)

    def setdefault(self, key: str, value: bytes, ttl: float) -> bytes:
        def _write() -> bytes:
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(key, value, px=int(ttl * 1000), nx=True)
            pipe.get(key)
            held: bytes = pipe.execute()[1]
            return held

        result: bytes = self._call(_write)
        return result

    def _call(self, function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except self._errors as exc:
            raise CacheUnavailable(str(exc)) from exc


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache "
    "(key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID"
)


class SqliteStore(KeyValueStore):
    """One connection per thread and process (sqlite3 connections cross neither)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        marks = ",".join("?" * len(keys))
        rows = self._run(
            f"SELECT key, value FROM cache WHERE key IN ({marks}) AND expires_at > ?",  # noqa: S608 (only ? marks)
            (*keys, time.time()),
        )
        found = dict(rows)
        return [found.get(key) for key in keys]

    def set_many(self, values: dict[str, bytes], ttl: float) -> None:
        expires = time.time() + ttl
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO cache VALUES (?, ?, ?)",
                [(k, v, expires) for k, v in values.items()],
            )
            db.execute("DELETE FROM cache WHERE expires_at < ?", (time.time() - ttl,))

    def setdefault(self, key: str, value: bytes, ttl: float) -> bytes:
        now = time.time()
        with self._transaction() as db:
            db.execute("DELETE FROM cache WHERE key = ? AND expires_at <= ?", (key, now))
            db.execute("INSERT OR IGNORE INTO cache VALUES (?, ?, ?)", (key, value, now + ttl))
            held: bytes = db.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()[0]
            return held

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None or self._local.pid != process_id():
            db = sqlite3.connect(self.path, timeout=1.0, isolation_level=None)
            use_wal(db, timeout=1.0)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            self._local.db, self._local.pid = db, process_id()
        return db

    def _run(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        try:
            return self._connection().execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise CacheUnavailable(str(exc)) from exc

    def _transaction(self) -> _Transaction:
        return _Transaction(self)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; any sqlite3 error becomes ``CacheUnavailable``."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db = self.store._connection()
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise CacheUnavailable(str(exc)) from exc
        return self.db

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        except sqlite3.Error as error:
            raise CacheUnavailable(str(error)) from error
        if isinstance(exc, sqlite3.Error):
            raise CacheUnavailable(str(exc)) from exc
