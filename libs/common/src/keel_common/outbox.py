"""Transactional outbox: events are stored with the state change, then published by a relay.

A use case's unit of work calls ``stage(session, envelopes)`` inside its transaction, so an
order and its ``core.order.placed.v1`` are committed together or not at all. The worker's
``OutboxRelay`` then publishes unpublished rows in ``pk`` order with broker confirms and marks
them published. If the broker is away the rows simply stay and go out when it is back: the
relay delivers at least once (a crash between the confirm and the commit re-publishes a
batch), and consumers dedupe by event id.

On PostgreSQL each batch is claimed with ``FOR UPDATE SKIP LOCKED``, so several relays (one per
worker replica) never publish the same row concurrently; order then holds within a batch,
not across relays. SQLite has no row locks: run one relay per SQLite database (``make run``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from keel_common.messaging import Broker, BrokerError, Envelope, InvalidMessage
from keel_common.messaging.consuming import Backoff
from keel_common.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_PUBLISHED

logger = logging.getLogger(__name__)

TABLE_NAME = "outbox"


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """The ``outbox`` table on ``metadata`` (once; later calls return the same table)."""
    if TABLE_NAME in metadata.tables:
        return metadata.tables[TABLE_NAME]
    table = sa.Table(
        TABLE_NAME,
        metadata,
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),  # SQLite autoincrements INTEGER
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),  # the envelope's JSON, as published
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    unpublished = table.c.published_at.is_(None)
    # The relay's scan and the backlog gauge read only unpublished rows: a partial index
    # keeps both cheap however many published rows wait for pruning.
    sa.Index(
        "ix_outbox_unpublished",
        table.c.pk,
        postgresql_where=unpublished,
        sqlite_where=unpublished,
    )
    sa.Index("ix_outbox_published_at", table.c.published_at)
    return table


# ``stage`` only needs the table's name and columns; the service's own metadata (through
# outbox_table) is what its migrations create.
_OUTBOX = outbox_table(sa.MetaData())


def stage(session: Session, envelopes: Sequence[Envelope], table: sa.Table = _OUTBOX) -> None:
    """Insert ``envelopes`` into the outbox in the caller's transaction (no commit here).

    ``table`` is the service's own outbox table; any table from ``outbox_table`` has the same
    columns, so the default serves callers that do not hold one.
    """
    if not envelopes:
        return
    now = datetime.now(UTC)
    session.execute(
        sa.insert(table),
        [
            {
                "event_id": e.id,
                "type": e.type,
                "payload": e.to_json().decode(),
                "created_at": now,
            }
            for e in envelopes
        ],
    )


_FORGET_BATCH = 100


def forget_published(session: Session, table: sa.Table, needles: Collection[str]) -> int:
    """Delete the published rows whose envelope mentions any of ``needles`` (ids), in the
    caller's transaction; the number deleted. For an erasure: a published event is kept
    only for replay, and must not outlive the data it carried. Unpublished rows stay (they
    are still owed to consumers). A scan of the published rows, bounded by the retention:
    fine for a rare operation, not for a hot path."""
    total = 0
    ordered = sorted(set(needles))
    for start in range(0, len(ordered), _FORGET_BATCH):
        batch = ordered[start : start + _FORGET_BATCH]
        mentions = [table.c.payload.contains(n, autoescape=True) for n in batch]
        statement = sa.delete(table).where(table.c.published_at.is_not(None), sa.or_(*mentions))
        total += int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    return total


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class OutboxRelay:
    """Publishes a service's outbox rows; ``run`` is the worker's loop, ``run_once`` one round."""

    def __init__(
        self,
        engine: sa.Engine,
        table: sa.Table,
        broker: Broker,
        service: str,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        retention: timedelta = timedelta(days=7),
        prune_interval: float = 3600.0,
    ) -> None:
        self.engine = engine
        self.table = table
        self.broker = broker
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retention = retention
        self.prune_interval = prune_interval
        self._next_prune = 0.0
        self._backlog = OUTBOX_BACKLOG.labels(service)
        self._oldest_age = OUTBOX_OLDEST_AGE.labels(service)
        self._published = OUTBOX_PUBLISHED.labels(service)

    def run_once(self) -> int:
        """Publish one batch; the number published. Raises ``BrokerError`` (rows kept)."""
        try:
            published = self._publish_batch()
        finally:
            self.refresh_gauges()
        self._published.inc(published)
        if time.monotonic() >= self._next_prune:
            self.prune()
            self._next_prune = time.monotonic() + self.prune_interval
        return published

    def _publish_batch(self) -> int:
        t = self.table
        claim = (
            sa.select(t.c.pk, t.c.payload)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.pk)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)  # SQLAlchemy leaves it out on SQLite
        )
        with self.engine.begin() as connection:
            rows = connection.execute(claim).all()
            if not rows:
                return 0
            envelopes = []
            for pk, payload in rows:
                try:
                    envelopes.append(Envelope.from_json(payload))
                except InvalidMessage as exc:
                    # Never deliverable; set aside (marked, kept until pruning) rather
                    # than block every later event behind it.
                    logger.error("outbox row %s is not an envelope (%s); skipping it", pk, exc)
            self.broker.publish_batch(envelopes)  # raises: the transaction rolls back
            connection.execute(
                sa.update(t)
                .where(t.c.pk.in_([pk for pk, _ in rows]))
                .values(published_at=datetime.now(UTC))
            )
        return len(envelopes)

    def refresh_gauges(self) -> None:
        """Set OUTBOX_BACKLOG and OUTBOX_OLDEST_AGE from the table."""
        t = self.table
        query = sa.select(sa.func.count(), sa.func.min(t.c.created_at)).where(
            t.c.published_at.is_(None)
        )
        with self.engine.connect() as connection:
            backlog, oldest = connection.execute(query).one()
        self._backlog.set(backlog)
        age = (datetime.now(UTC) - _utc(oldest)).total_seconds() if oldest else 0.0
        self._oldest_age.set(max(age, 0.0))

    def prune(self) -> int:
        """Delete rows published longer than ``retention`` ago; the number deleted."""
        t = self.table
        cutoff = datetime.now(UTC) - self.retention
        with self.engine.begin() as connection:
            result = connection.execute(sa.delete(t).where(t.c.published_at < cutoff))
        return int(result.rowcount)

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set, waiting ``poll_interval`` when there is nothing to do
        and backing off while the broker or the database is away."""
        backoff = Backoff(initial=self.poll_interval)
        while not stop.is_set():
            try:
                published = self.run_once()
            except BrokerError as exc:
                delay = backoff.next_delay()
                logger.warning("outbox relay: broker unavailable (%s); retry in %.1fs", exc, delay)
                stop.wait(delay)
                continue
            except Exception:
                # The database is away, or something unforeseen: the relay must outlive it,
                # or every later event of the service would wait for a restart.
                delay = backoff.next_delay()
                logger.exception("outbox relay: round failed; retry in %.1fs", delay)
                stop.wait(delay)
                continue
            backoff.reset()
            if published < self.batch_size:
                stop.wait(self.poll_interval)
