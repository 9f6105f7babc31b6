"""A ``limits`` storage in a SQLite file: exact sliding-window limits across every process of
one machine without a server (the ``make run`` default; production uses Redis).

``limits`` ships memory (per process, so N gunicorn workers would allow N times the limit),
Redis, Memcached and MongoDB storages; this adds the embedded one through its documented
extension point (a ``Storage`` subclass with ``MovingWindowSupport``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import MovingWindowSupport, Storage

from keel_common.process import process_id
from keel_common.sqlite_wal import use_wal

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS window_entries (key TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_window_entries_key_at ON window_entries (key, at)",
    "CREATE TABLE IF NOT EXISTS counters"
    " (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)",
)


class SqliteStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["keel+sqlite"]

    def __init__(self, uri: str | None = None, path: str | Path | None = None) -> None:
        super().__init__(uri)
        if path is None:
            if not uri or not uri.startswith("keel+sqlite:///"):
                raise ValueError("expected keel+sqlite:///<path>")
            path = uri.removeprefix("keel+sqlite:///")
        self._path = Path(path)
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != process_id():
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=10.0, isolation_level=None)
            use_wal(conn, timeout=10.0)
            for statement in _SCHEMA:
                conn.execute(statement)
            self._local.conn, self._local.pid = conn, process_id()
        return conn

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        conn = self._conn()
        now = time.time()
        # BEGIN IMMEDIATE takes the write lock first: count-then-insert is atomic across
        # processes, which is what makes the limit exact.
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "DELETE FROM window_entries WHERE key = ? AND at <= ?", (key, now - expiry)
            )
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM window_entries WHERE key = ?", (key,)
            ).fetchone()
            if count + amount > limit:
                conn.execute("COMMIT")
                return False
            conn.executemany(
                "INSERT INTO window_entries (key, at) VALUES (?, ?)", [(key, now)] * amount
            )
            conn.execute("COMMIT")
            return True
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        oldest, count = (
            self._conn()
            .execute(
                "SELECT MIN(at), COUNT(*) FROM window_entries WHERE key = ? AND at > ?",
                (key, now - expiry),
            )
            .fetchone()
        )
        return (oldest if count else now), count

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        conn = self._conn()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM counters WHERE key = ? AND expires_at <= ?", (key, now))
            conn.execute(
                "INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
                (key, amount, now + expiry),
            )
            (value,) = conn.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
            conn.execute("COMMIT")
            return int(value)
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def get(self, key: str) -> int:
        row = (
            self._conn()
            .execute(
                "SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = (
            self._conn().execute("SELECT expires_at FROM counters WHERE key = ?", (key,)).fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        conn = self._conn()
        removed = conn.execute("DELETE FROM window_entries").rowcount
        return removed + conn.execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        conn = self._conn()
        conn.execute("DELETE FROM window_entries WHERE key = ?", (key,))
        conn.execute("DELETE FROM counters WHERE key = ?", (key,))
