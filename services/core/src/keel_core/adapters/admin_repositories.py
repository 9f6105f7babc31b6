"""SQLAlchemy repositories of the back-office: the audit trail and edited thresholds.

Both are plain rows, not domain entities with a lifecycle, so they are read and written
with SQLAlchemy Core statements on the unit of work's session.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from keel_common.pagination import Position
from keel_core.adapters.orm import app_version_thresholds, audit_log
from keel_core.domain.app_versions import AppVersion, Platform, VersionPolicy
from keel_core.domain.audit import AdminAction, AuditEntry
from keel_core.service_layer.ports import AppVersionStore, AuditLog


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SqlAlchemyAuditLog(AuditLog):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        now = datetime.now(UTC)
        self.session.execute(
            sa.insert(audit_log).values(
                id=entry.id,
                created_at=now,
                updated_at=now,
                action=entry.action.value,
                actor_id=entry.actor_id,
                target_type=entry.target_type,
                target_id=entry.target_id,
                reason=entry.reason,
                occurred_at=entry.occurred_at,
                details=entry.details,
            )
        )

    def for_target(self, target_type: str, target_id: str) -> list[AuditEntry]:
        rows = self.session.execute(
            sa.select(audit_log)
            .where(audit_log.c.target_type == target_type, audit_log.c.target_id == target_id)
            .order_by(audit_log.c.occurred_at, audit_log.c.pk)
        )
        return _entries(rows)

    def newest(
        self, *, actor_id: UUID | None, target_id: str | None, limit: int, after: Position | None
    ) -> list[AuditEntry]:
        t = audit_log
        query = sa.select(t).order_by(t.c.occurred_at.desc(), t.c.id.desc()).limit(limit)
        if actor_id is not None:
            query = query.where(t.c.actor_id == actor_id)
        if target_id is not None:
            query = query.where(t.c.target_id == target_id)
        if after is not None:
            query = query.where(sa.tuple_(t.c.occurred_at, t.c.id) < (after.created_at, after.id))
        return _entries(self.session.execute(query))


def _entries(rows: Any) -> list[AuditEntry]:
    return [
        AuditEntry(
            action=AdminAction(row.action),
            actor_id=row.actor_id,
            target_type=row.target_type,
            target_id=row.target_id,
            reason=row.reason,
            occurred_at=_utc(row.occurred_at),
            details=dict(row.details),
            id=row.id,
        )
        for row in rows
    ]


class SqlAlchemyAppVersionStore(AppVersionStore):
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[Platform, VersionPolicy]:
        return read_thresholds(self.session)

    def put(self, platform: Platform, policy: VersionPolicy, actor_id: UUID) -> None:
        table = app_version_thresholds
        values = {
            "min_supported_version": str(policy.min_supported),
            "latest_version": str(policy.latest),
            "updated_by": actor_id,
            "updated_at": datetime.now(UTC),
        }
        changed = self.session.execute(
            sa.update(table).where(table.c.platform == platform.value).values(**values)
        )
        if getattr(changed, "rowcount", 0) == 0:
            self.session.execute(sa.insert(table).values(platform=platform.value, **values))


def read_thresholds(session: Session) -> dict[Platform, VersionPolicy]:
    """The edited thresholds, by platform; platforms never edited are absent."""
    rows = session.execute(sa.select(app_version_thresholds))
    return {
        Platform(row.platform): VersionPolicy(
            min_supported=AppVersion.parse(row.min_supported_version),
            latest=AppVersion.parse(row.latest_version),
        )
        for row in rows
        if row.platform in {p.value for p in Platform}
    }
