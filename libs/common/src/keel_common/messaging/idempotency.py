"""Idempotent consumers: remember processed event ids in the handler's own transaction.

A broker delivers at least once (a redelivery after a lost ack, a relay that re-publishes
after a crash), so a handler records the event id in the same transaction as its changes::

    def handle(envelope):
        with uow:
            if not first_time(uow.session, "notification.events", envelope.id):
                return DUPLICATE
            ...  # the handler's changes
            uow.commit()

If the handler's transaction rolls back, so does the record, and the retry runs it again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

TABLE_NAME = "processed_events"


def processed_events_table(metadata: sa.MetaData) -> sa.Table:
    """The ``processed_events`` table on ``metadata`` (once; later calls return it)."""
    if TABLE_NAME in metadata.tables:
        return metadata.tables[TABLE_NAME]
    return sa.Table(
        TABLE_NAME,
        metadata,
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


# Statements only need the table's name and columns; the service's own metadata (through
# processed_events_table) is what its migrations create.
_PROCESSED = processed_events_table(sa.MetaData())


def first_time(session: Session, consumer: str, event_id: str) -> bool:
    """Record ``event_id`` for ``consumer``; False if it was already recorded.

    One ``INSERT ... ON CONFLICT DO NOTHING``: on PostgreSQL a concurrent transaction
    inserting the same id waits for the first one and then sees the conflict, so exactly
    one of two racing consumers gets True. Call it before the handler's changes so the
    loser blocks early rather than doing the work twice.
    """
    table = _PROCESSED
    values = {"consumer": consumer, "event_id": event_id, "processed_at": datetime.now(UTC)}
    dialect = session.get_bind().dialect.name
    statement: sa.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    else:
        raise NotImplementedError(f"first_time supports PostgreSQL and SQLite, not {dialect}")
    # RETURNING, not rowcount: drivers do not all report a row count for INSERTs.
    inserted = session.execute(statement.returning(table.c.event_id)).first()
    return inserted is not None


def prune_processed(session: Session, older_than: timedelta) -> int:
    """Forget ids recorded more than ``older_than`` ago (a redelivery never comes that late)."""
    table = _PROCESSED
    cutoff = datetime.now(UTC) - older_than
    result = session.execute(sa.delete(table).where(table.c.processed_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
