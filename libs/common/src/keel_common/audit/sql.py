"""``SqlAuditTrail``: the audit trail in the service's own database (table ``admin_audit``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from keel_common.audit import AuditRecord, AuditTrail
from keel_common.db import UtcDateTime
from keel_common.pagination import Page, decode_cursor, page_of

TABLE = "admin_audit"


def audit_table(metadata: sa.MetaData) -> sa.Table:
    """The table on ``metadata``; each service's migration creates the same columns."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Index("ix_admin_audit_newest", "occurred_at", "id"),
        sa.Index("ix_admin_audit_actor", "actor_id", "occurred_at"),
        sa.Index("ix_admin_audit_target", "target_id", "occurred_at"),
        extend_existing=True,
    )


class SqlAuditTrail(AuditTrail):
    def __init__(self, engine: Engine, table: sa.Table) -> None:
        self.engine = engine
        self.table = table

    def add(self, record: AuditRecord) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                self.table.insert().values(
                    id=record.id,
                    action=record.action,
                    actor_id=record.actor_id,
                    target_type=record.target_type,
                    target_id=record.target_id,
                    reason=record.reason,
                    occurred_at=record.occurred_at,
                    details=record.details,
                )
            )

    def page(
        self, *, actor_id: str | None, target_id: str | None, limit: int, cursor: str | None
    ) -> Page[AuditRecord]:
        t = self.table
        query = sa.select(t).order_by(t.c.occurred_at.desc(), t.c.id.desc()).limit(limit + 1)
        if actor_id is not None:
            query = query.where(t.c.actor_id == actor_id)
        if target_id is not None:
            query = query.where(t.c.target_id == target_id)
        if cursor:
            after = decode_cursor(cursor)
            query = query.where(sa.tuple_(t.c.occurred_at, t.c.id) < (after.created_at, after.id))
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        records = [AuditRecord(**dict(row)) for row in rows]
        return page_of(records, limit, AuditRecord.position)
