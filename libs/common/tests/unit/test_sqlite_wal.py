"""``use_wal``: a file switched once, the switch retried while another connection's lock
makes SQLite refuse at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from keel_common.sqlite_wal import use_wal


class LockedConnection:
    """A connection whose switch to WAL is refused ``refusals`` times as SQLite refuses it
    while another connection writes; records the statements it ran."""

    def __init__(self, refusals: int, error: str = "database is locked") -> None:
        self.refusals, self.error = refusals, error
        self.db = sqlite3.connect(":memory:")
        self.statements: list[str] = []

    def execute(self, sql: str, /) -> sqlite3.Cursor:
        self.statements.append(sql)
        if sql == "PRAGMA journal_mode=WAL" and self.refusals:
            self.refusals -= 1
            raise sqlite3.OperationalError(self.error)
        if sql == "PRAGMA journal_mode":
            return self.db.execute("SELECT 'delete'")
        return self.db.execute("SELECT 'wal'")


def test_a_new_file_is_switched_to_wal_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first = sqlite3.connect(path)
    use_wal(first)
    again = sqlite3.connect(path)
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    statements: list[str] = []
    again.set_trace_callback(statements.append)
    use_wal(again)
    assert statements == ["PRAGMA journal_mode"]  # already WAL: no switch, no lock taken


def test_a_switch_refused_by_another_writer_is_retried() -> None:
    connection = LockedConnection(refusals=3)
    use_wal(connection)
    assert connection.statements.count("PRAGMA journal_mode=WAL") == 4


def test_a_lock_held_past_the_timeout_is_an_error() -> None:
    connection = LockedConnection(refusals=10**6)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(connection, timeout=0.05)


def test_any_other_error_is_not_retried() -> None:
    connection = LockedConnection(refusals=5, error="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        use_wal(connection)
    assert connection.statements.count("PRAGMA journal_mode=WAL") == 1
