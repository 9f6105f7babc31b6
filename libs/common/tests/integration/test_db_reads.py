"""keel_common.db.SingleRowRead on SQLite and PostgreSQL: the values SQLAlchemy itself would
read, no transaction around the read on PostgreSQL, and a lost connection handled as
SQLAlchemy handles one."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from keel_common.db import SingleRowRead, UtcDateTime, create_engine, standard_table

from .relays import SilentDrop

metadata = sa.MetaData()
things = standard_table(
    "things",
    metadata,
    sa.Column("name", sa.String(50), nullable=True),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("ready", sa.Boolean, nullable=False),
    sa.Column("seen_at", UtcDateTime, nullable=True),
)
BY_ID = sa.select(
    things.c.id, things.c.name, things.c.tags, things.c.ready, things.c.seen_at, things.c.created_at
).where(things.c.id == sa.bindparam("id", type_=sa.Uuid), things.c.deleted_at.is_(None))


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def add(engine: sa.Engine, **values: object) -> uuid.UUID:
    thing_id = uuid.uuid4()
    row = {"name": None, "tags": [], "ready": False, "seen_at": None} | values
    with engine.begin() as conn:
        conn.execute(sa.insert(things).values(id=thing_id, **row))
    return thing_id


def test_a_row_reads_as_sqlalchemy_reads_it(engine: sa.Engine) -> None:
    seen = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    full = add(engine, name="bolt", tags=["a", "b"], ready=True, seen_at=seen)
    empty = add(engine)
    read = SingleRowRead(engine, BY_ID)

    for thing_id in (full, empty):
        with engine.connect() as conn:
            expected = conn.execute(BY_ID, {"id": thing_id}).one()._asdict()
        assert read.one_or_none({"id": thing_id}) == expected
    row = read.one_or_none({"id": full})
    assert row is not None
    assert (row["id"], row["tags"], row["ready"], row["seen_at"]) == (full, ["a", "b"], True, seen)
    assert row["created_at"].tzinfo is not None


def test_no_row_is_none_and_two_rows_are_an_error(engine: sa.Engine) -> None:
    add(engine, name="twin")
    add(engine, name="twin")
    by_name = sa.select(things.c.id).where(things.c.name == sa.bindparam("name"))

    assert SingleRowRead(engine, BY_ID).one_or_none({"id": uuid.uuid4()}) is None
    with pytest.raises(sa.exc.MultipleResultsFound):
        SingleRowRead(engine, by_name).one_or_none({"name": "twin"})


ALONE = sa.select(
    (sa.func.transaction_timestamp() == sa.func.statement_timestamp()).label("alone"),
    sa.func.pg_backend_pid().label("pid"),
)


def test_on_postgresql_the_read_is_a_transaction_of_its_own(postgres_url: str) -> None:
    """Autocommit: no BEGIN before it (the SELECT starts its own transaction, so both
    timestamps are equal) and the pooled connection goes back to transactions after."""
    engine = create_engine(postgres_url)
    try:
        row = SingleRowRead(engine, ALONE).one_or_none({})
        assert row is not None and row["alone"] is True

        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.pg_backend_pid())).scalar_one() == row["pid"]
            assert conn.in_transaction()
            status = conn.connection.driver_connection.info.transaction_status  # type: ignore[union-attr]
            assert status.name == "INTRANS"  # a transaction again, as SQLAlchemy left it
    finally:
        engine.dispose()


def test_a_lost_connection_fails_one_read_and_the_pool_is_replaced(postgres_url: str) -> None:
    """Connections lost silently (no ping: used moments ago, nothing to read) fail the first
    read that meets one, as through SQLAlchemy; the read after it does not meet the others."""
    url = sa.make_url(postgres_url)
    relay = SilentDrop(url.host or "127.0.0.1", url.port or 5432)
    engine = create_engine(url.set(host="127.0.0.1", port=relay.port))
    read = SingleRowRead(engine, ALONE)
    try:
        held = [engine.connect() for _ in range(2)]  # two connections in the pool
        lost = [conn.execute(sa.select(sa.func.pg_backend_pid())).scalar_one() for conn in held]
        for conn in held:
            conn.close()
        relay.cut()

        with pytest.raises(sa.exc.DBAPIError) as failed:
            read.one_or_none({})
        assert failed.value.connection_invalidated

        again = read.one_or_none({})
        assert again is not None and again["pid"] not in lost
    finally:
        engine.dispose()
        relay.close()


def rename(engine: sa.Engine, thing_id: uuid.UUID, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(things).where(things.c.id == thing_id).values(name=name))


def test_on_a_sqlite_file_each_read_sees_every_commit_before_it(sqlite_url: str) -> None:
    """The thread's own connection holds no snapshot between reads: a commit by another
    connection (another process's, say) is read at once, and the read left no transaction
    open to hold one."""
    engine = create_engine(sqlite_url)
    metadata.create_all(engine)
    writer = create_engine(sqlite_url)  # another process's engine, as far as SQLite knows
    read = SingleRowRead(engine, BY_ID)
    try:
        thing_id = add(writer, name="first")
        for name in ("second", "third"):
            before = read.one_or_none({"id": thing_id})
            rename(writer, thing_id, name)
            after = read.one_or_none({"id": thing_id})
            assert before is not None and after == before | {"name": name}
        own = read._local.db
        assert own is not None and not own.in_transaction
        with engine.connect() as conn:  # the pool's connections are not the read's
            assert conn.connection.dbapi_connection is not own
    finally:
        writer.dispose()
        engine.dispose()


def test_on_a_sqlite_file_a_disposed_engine_closes_the_read_connection(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    metadata.create_all(engine)
    read = SingleRowRead(engine, BY_ID)
    thing_id = add(engine, name="kept")
    assert read.one_or_none({"id": thing_id}) is not None
    first = read._local.db

    engine.dispose()
    row = read.one_or_none({"id": thing_id})

    assert row is not None and row["name"] == "kept"
    assert read._local.db is not first
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")  # closed
    engine.dispose()


def test_a_forked_child_reads_on_a_connection_of_its_own(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    metadata.create_all(engine)
    read = SingleRowRead(engine, BY_ID)
    thing_id = add(engine, name="parent")
    assert read.one_or_none({"id": thing_id}) is not None
    parents = id(read._local.db)
    rename(engine, thing_id, "child")
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's teardown
        row = read.one_or_none({"id": thing_id})
        ok = row is not None and row["name"] == "child" and id(read._local.db) != parents
        os.write(writer, b"1" if ok else b"0")
        os._exit(0)
    os.close(writer)
    assert os.read(reader, 1) == b"1"
    os.waitpid(pid, 0)
    assert read.one_or_none({"id": thing_id}) is not None  # the parent's still works
    engine.dispose()
