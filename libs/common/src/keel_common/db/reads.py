"""Hot single-row reads, compiled once and run straight on a pooled DBAPI connection.

For the read side of CQRS (Cosmic Python ch. 12: views may use plain SQL and return plain
data) on calls every signed-in client makes all the time. Building, caching and executing
a statement through a SQLAlchemy ``Connection`` and its ``Result`` cost several times the
database's own work for a primary-key read (issue #12); here SQLAlchemy compiles the
statement once for the engine's dialect, and the same bind and result processors it would
apply (UUIDs, JSON, UTC datetimes) are looked up once.

On PostgreSQL the read runs in autocommit: one round trip instead of BEGIN, SELECT,
ROLLBACK, and a single statement sees one consistent snapshot on its own. SQLite is left as
it is: Python's sqlite3 begins a transaction only before a write, so a SELECT already runs
on its own there. On a SQLite file each thread reads over a connection of its own, taken
from the pool once and detached from it: checking one out and back in (the reset's
rollback included) cost as much CPU as the read. Only SELECTs run on it, so it never opens
a transaction and every read sees what was committed before it started, by any process.

Failures surface as SQLAlchemy's exceptions (parameters hidden), and a lost connection
invalidates the pool, as a failed ``Connection.execute`` would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from keel_common.process import process_id

_Processor = Callable[[Any], Any] | None


class _Compiled:
    """``statement`` compiled for ``dialect``, with the processors SQLAlchemy would apply."""

    def __init__(self, statement: sa.Select[Any], dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("expanding parameters (IN lists) are not supported here")
        self.sql = compiled.string
        self._compiled = compiled
        self._order = compiled.positiontup if compiled.positional else None
        binders = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        self._binders = {name: process for name, process in binders.items() if process}
        self._columns: list[tuple[str, _Processor]] = []
        for column in statement.selected_columns:
            if column.key is None:
                raise ValueError(f"label the selected expression {column}: rows are keyed")
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            self._columns.append((column.key, process))

    def bind(self, params: Mapping[str, Any]) -> Any:
        values = self._compiled.construct_params(dict(params))
        for name, process in self._binders.items():
            values[name] = process(values[name])
        if self._order is None:
            return values
        return tuple(values[name] for name in self._order)

    def row(self, values: Any) -> dict[str, Any]:
        return {name: process(value) if process else value
                for (name, process), value in zip(self._columns, values, strict=True)}  # fmt: skip


class SingleRowRead:
    """``SingleRowRead(engine, select).one_or_none(params)``: the row as a dict keyed by
    the selected columns' names, or None; more than one row is an error."""

    def __init__(self, engine: Engine, statement: sa.Select[Any]) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._statement = statement
        # Compiled at the first read, as SQLAlchemy compiles at execution: once connected,
        # the dialect knows the server it compiles for.
        self._compiled: _Compiled | None = None
        self._autocommit = self._dialect.name != "sqlite"
        # A SQLite file (QueuePool): a connection per thread. Not in memory: a detached
        # connection would take that database away from the pool.
        self._own = self._dialect.name == "sqlite" and isinstance(engine.pool, QueuePool)
        self._local = threading.local()
        self._disposals = 0
        if self._own:
            sa.event.listen(engine, "engine_disposed", self._disposed)

    def one_or_none(self, params: Mapping[str, Any]) -> dict[str, Any] | None:
        compiled = self._compiled or self._compile()
        if self._own:
            rows = self._fetch_own(compiled.sql, compiled.bind(params))
        else:
            connection = self._engine.raw_connection()
            try:
                rows = self._fetch(connection, compiled.sql, compiled.bind(params))
            finally:
                connection.close()
        if not rows:
            return None
        if len(rows) > 1:
            raise sa.exc.MultipleResultsFound("more than one row where at most one was expected")
        return compiled.row(rows[0])

    def _compile(self) -> _Compiled:
        self._compiled = _Compiled(self._statement, self._dialect)
        return self._compiled

    def _fetch_own(self, sql: str, values: Any) -> list[Any]:
        """On this thread's own SQLite connection (opened by the pool: its pragmas)."""
        local = self._local
        db: Any = getattr(local, "db", None)
        if db is None or local.epoch != (process_id(), self._disposals):
            if db is not None and local.epoch[0] == process_id():
                db.close()  # the engine was disposed; one a parent opened is only dropped
            pooled = self._engine.raw_connection()
            pooled.detach()
            db = local.db = pooled.dbapi_connection
            local.epoch = (process_id(), self._disposals)
        try:
            return _at_most_two(db, sql, values)
        except self._dialect.loaded_dbapi.Error as error:
            local.db = None
            db.close()
            disconnected = self._dialect.is_disconnect(error, db, None)
            raise self._error(sql, error, disconnected) from error

    def _disposed(self, _engine: Engine) -> None:
        self._disposals += 1

    def _fetch(self, connection: Any, sql: str, values: Any) -> list[Any]:
        try:
            dbapi_connection: Any = connection.dbapi_connection
            if self._autocommit:
                self._dialect.set_isolation_level(dbapi_connection, "AUTOCOMMIT")
            try:
                return _at_most_two(connection, sql, values)
            finally:
                if self._autocommit and connection.is_valid:
                    self._dialect.reset_isolation_level(dbapi_connection)
        except self._dialect.loaded_dbapi.Error as error:
            raise self._failed(connection, sql, error) from error

    def _failed(self, connection: Any, sql: str, error: Any) -> sa.exc.StatementError:
        disconnected = self._dialect.is_disconnect(error, connection.dbapi_connection, None)
        if disconnected:
            # As SQLAlchemy does after a disconnect: this connection is dropped, and so is
            # every other one opened before it (a restarted database dropped them all).
            connection.invalidate(error)
            self._engine.dispose()
        return self._error(sql, error, disconnected)

    def _error(self, sql: str, error: Any, disconnected: bool) -> sa.exc.StatementError:
        return sa.exc.DBAPIError.instance(
            sql,
            None,
            error,
            self._dialect.loaded_dbapi.Error,
            hide_parameters=True,
            dialect=self._dialect,
            connection_invalidated=disconnected,
        )


def _at_most_two(connection: Any, sql: str, values: Any) -> list[Any]:
    """The first two rows ``sql`` finds on ``connection`` (a DB-API connection, or the
    pool's proxy of one): enough to tell none, one and too many apart."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, values)
        return list(cursor.fetchmany(2))
    finally:
        cursor.close()
