"""keel_common.db.SingleRowRead on SQLite and PostgreSQL: the values SQLAlchemy itself would
read, no transaction around the read on PostgreSQL, and a lost connection handled as
SQLAlchemy handles one."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from keel_common.db import SingleRowRead, UtcDateTime, create_engine, standard_table

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


def pooled_backends(engine: sa.Engine, count: int) -> list[int]:
    """Put ``count`` connections in the pool (held at once, then returned): their pids."""
    held = [engine.raw_connection() for _ in range(count)]
    pids = []
    for connection in held:
        cursor = connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(cursor.fetchone()[0])
        cursor.close()
        connection.rollback()
        connection.close()
    return pids


def test_a_lost_connection_fails_one_read_and_the_pool_is_replaced(postgres_url: str) -> None:
    """A restarted database drops every pooled connection: the first read to meet a dead one
    fails (as through SQLAlchemy), and the next one does not meet the other dead ones."""
    engine = create_engine(postgres_url)  # pings only after 5 s idle: not in this test
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    read = SingleRowRead(engine, ALONE)
    try:
        dropped = pooled_backends(engine, 2)
        with admin.connect() as conn:
            alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)")
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM unnest(:pids) pid"),
                         {"pids": dropped})  # fmt: skip
            while conn.execute(alive, {"pids": dropped}).scalar_one():
                time.sleep(0.05)

        with pytest.raises(sa.exc.DBAPIError) as failed:
            read.one_or_none({})
        assert failed.value.connection_invalidated

        again = read.one_or_none({})
        assert again is not None and again["pid"] not in dropped
    finally:
        admin.dispose()
        engine.dispose()
