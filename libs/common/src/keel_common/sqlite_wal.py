"""Write-ahead logging for the SQLite files several threads and processes share.

WAL is a property of the file: set once, every later connection finds it. Setting it takes
the file's exclusive lock, and when another connection holds the write lock while this one
holds a read lock, SQLite answers "database is locked" at once instead of waiting (waiting
could deadlock), whatever the busy timeout. That is what the first requests of a fresh
``make run`` can meet: several threads open their connections at the same moment, one of
them already writing. So a file already in WAL mode is left alone, and the switch is retried
for as long as the connection would wait for a lock.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Protocol

_RETRY_EVERY = 0.01


class _Executes(Protocol):
    def execute(self, sql: str, /) -> sqlite3.Cursor: ...


def use_wal(connection: _Executes, timeout: float = 5.0) -> None:
    """Put the connection's file in WAL mode unless it is already; ``sqlite3.OperationalError``
    once ``timeout`` seconds of "database is locked" have passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(_RETRY_EVERY)
