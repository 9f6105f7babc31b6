"""The database layer every service shares.

Domain entities stay plain Python classes; this module maps them imperatively onto tables
that all carry the same standard columns:

- ``pk``: integer primary key, used for joins and never shown outside the service;
- ``id``: the public UUID;
- ``created_at`` / ``updated_at``: set by the framework (UTC);
- ``deleted_at``: soft delete. ORM queries leave soft-deleted rows out unless the statement
  carries ``execution_options(include_deleted=True)``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, registry, sessionmaker, with_loader_criteria

from keel_common.clock import utcnow
from keel_common.db.liveness import DEFAULT_IDLE_SECONDS, ping_when_idle
from keel_common.db.reads import SingleRowRead
from keel_common.db.unit_of_work import DomainEvent, SqlAlchemyUnitOfWork
from keel_common.sqlite_wal import use_wal

__all__ = [
    "DomainEvent",
    "SingleRowRead",
    "SqlAlchemyUnitOfWork",
    "UtcDateTime",
    "create_engine",
    "lock_for_write",
    "make_session_factory",
    "map_entity",
    "soft_delete",
    "sqlite_file",
    "standard_table",
    "utcnow",
    "write_lock_on_sqlite",
]

# One ``with_loader_criteria`` option per soft-deletable class, built when the class is
# mapped: building them per statement (lambda analysis for every class, on every query) cost
# more CPU than the rest of a primary-key read (issue #12).
_SOFT_DELETE_CRITERIA: dict[type, Any] = {}


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_engine(
    url: str, *, ping_idle_after: float = DEFAULT_IDLE_SECONDS, **kwargs: Any
) -> Engine:
    """An engine with the settings Keel relies on for each backend.

    Every engine hides statement parameters from its errors. SQLite (the embedded default)
    gets WAL, foreign keys and a busy timeout so a web process,
    a worker and an outbox relay can share one file; a PostgreSQL connection idle for more
    than ``ping_idle_after`` seconds is pinged before use (``keel_common.db.liveness``), so
    a restarted database does not surface as errors.
    """
    sa_url = sa.make_url(url)
    # Statement parameters (password hashes, emails, tokens) stay out of exception text,
    # hence out of logs and Sentry: a failed INSERT must not print the row it carried.
    kwargs.setdefault("hide_parameters", True)
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = sa.create_engine(sa_url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = sa.create_engine(sa_url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine, ping_idle_after)
    return engine


def sqlite_file(database_url: str) -> str | None:
    """The file of a ``sqlite:///path`` URL; None for other databases and in-memory SQLite:
    where a service keeps what only the processes sharing that file must share."""
    url = sa.make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return str(url.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    use_wal(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def lock_for_write(session: Session) -> None:
    """Call before a read-then-write that must not race (``SELECT ... FOR UPDATE``).

    PostgreSQL honours ``FOR UPDATE``. SQLite ignores it, and Python's sqlite3 opens a
    transaction only at the first write, so two requests could both read "1 in stock" and both
    sell it. ``BEGIN IMMEDIATE`` makes the second wait (busy timeout) and then read what the
    first wrote. Readers are not blocked (WAL).
    """
    write_lock_on_sqlite(session.connection())


def write_lock_on_sqlite(connection: sa.Connection) -> None:
    """``lock_for_write`` for a Core connection: on SQLite, take the database's write lock
    now (``BEGIN IMMEDIATE``) rather than at the transaction's first write."""
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


def standard_table(name: str, metadata: sa.MetaData, *columns: Any, **kwargs: Any) -> sa.Table:
    """A table with Keel's standard columns followed by the given ones."""
    return sa.Table(
        name,
        metadata,
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True, default=uuid.uuid4),
        sa.Column("created_at", UtcDateTime, nullable=False, default=utcnow),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            default=utcnow,
            onupdate=utcnow,
        ),
        sa.Column("deleted_at", UtcDateTime, nullable=True),
        *columns,
        **kwargs,
    )


def map_entity(mapper_registry: registry, cls: type, table: sa.Table, **properties: Any) -> Any:
    """Map a plain domain class onto a standard table and make it soft-deletable.

    The domain class never sees ``pk``; it is kept on the instance by SQLAlchemy only.
    """
    mapper: Any = mapper_registry.map_imperatively(
        cls, table, properties={"_pk": table.c.pk, **properties}
    )
    if "deleted_at" in table.c:
        _SOFT_DELETE_CRITERIA[cls] = with_loader_criteria(
            cls, lambda c: c.deleted_at.is_(None), include_aliases=True
        )
        if not hasattr(cls, "is_deleted"):
            cls.is_deleted = property(lambda self: getattr(self, "deleted_at", None) is not None)  # type: ignore[attr-defined]
    return mapper


def soft_delete(entity: Any) -> None:
    """Mark a mapped entity deleted; the row stays, queries stop returning it."""
    entity.deleted_at = utcnow()


def _exclude_soft_deleted(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get("include_deleted", False):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    state.statement = state.statement.options(*_SOFT_DELETE_CRITERIA.values())


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that exclude soft-deleted rows and keep objects usable after commit."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "do_orm_execute", _exclude_soft_deleted)
    return factory
