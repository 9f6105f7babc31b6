"""Back-office use case: read core's admin audit trail, newest first (staff)."""

from __future__ import annotations

from uuid import UUID

from keel_common.pagination import Page, Position, page_of
from keel_core.domain.actors import Actor
from keel_core.domain.audit import AuditEntry
from keel_core.service_layer.admin import require_staff
from keel_core.service_layer.pagination import DEFAULT_LIMIT, check_limit, position_after
from keel_core.service_layer.ports import UnitOfWork


def audit_trail(
    uow: UnitOfWork,
    actor: Actor,
    *,
    actor_id: UUID | None = None,
    target_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[AuditEntry]:
    """Who did what to which record, when and why; by actor and/or target."""
    require_staff(actor)
    check_limit(limit)
    after = position_after(cursor)
    with uow:
        rows = uow.audit.newest(
            actor_id=actor_id, target_id=target_id, limit=limit + 1, after=after
        )
    return page_of(rows, limit, lambda e: Position(e.occurred_at, e.id))
