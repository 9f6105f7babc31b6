"""A service's admin audit trail: who did what to which target, when and why.

Mechanism for services whose admin actions touch no table of their own (dead-letter replays
and discards happen on the broker): the record is written in its own transaction right after
the action. The shape is that of core's ``audit_log`` (action, actor, target, reason, time,
details), so the console shows every service's trail the same way.
"""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keel_common.pagination import Page, Position, decode_cursor, page_of

MAX_REASON = 500
MAX_PAGE = 100


class MissingReason(ValueError):
    """An admin action without a reason (or with one too long to show)."""


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise MissingReason("must not be empty")
    if len(text) > MAX_REASON:
        raise MissingReason(f"must be at most {MAX_REASON} characters")
    return text


@dataclass(frozen=True)
class AuditRecord:
    action: str
    actor_id: str
    target_type: str
    target_id: str
    reason: str
    occurred_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def position(self) -> Position:
        return Position(self.occurred_at, self.id)


class AuditTrail(abc.ABC):
    """Where a service keeps its admin audit records."""

    @abc.abstractmethod
    def add(self, record: AuditRecord) -> None:
        """Store ``record`` durably before returning."""

    @abc.abstractmethod
    def page(
        self, *, actor_id: str | None, target_id: str | None, limit: int, cursor: str | None
    ) -> Page[AuditRecord]:
        """Records matching the filters (None = any), newest first; ``InvalidCursor`` on a
        cursor this trail did not issue."""


class FakeAuditTrail(AuditTrail):
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def add(self, record: AuditRecord) -> None:
        self.records.append(record)

    def page(
        self, *, actor_id: str | None, target_id: str | None, limit: int, cursor: str | None
    ) -> Page[AuditRecord]:
        rows = sorted(self.records, key=lambda r: (r.occurred_at, r.id.hex), reverse=True)
        rows = [r for r in rows if _matches(r, actor_id, target_id)]
        if cursor:
            after = decode_cursor(cursor)
            rows = [r for r in rows if (r.occurred_at, r.id.hex) < (after.created_at, after.id.hex)]
        return page_of(rows[: limit + 1], limit, AuditRecord.position)


def _matches(record: AuditRecord, actor_id: str | None, target_id: str | None) -> bool:
    return (actor_id is None or record.actor_id == actor_id) and (
        target_id is None or record.target_id == target_id
    )
