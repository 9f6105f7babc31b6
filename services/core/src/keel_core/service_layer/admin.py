"""Back-office authorization and auditing, shared by every admin use case.

Staff read and operate (cancel, unlist, edit); admins also change thresholds. The checks
live here, in the service layer, so every entrypoint (HTTP today) gets the same rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keel_common.second_factor import require_second_factor
from keel_core.domain.actors import Actor
from keel_core.domain.audit import AdminAction, AuditEntry
from keel_core.domain.errors import Forbidden
from keel_core.service_layer.ports import UnitOfWork


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden("the back-office is for staff and admins")
    require_second_factor(actor.roles, actor.amr, actor.mfa_roles)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("only an admin can change this")
    require_second_factor(actor.roles, actor.amr, actor.mfa_roles)


def record(
    uow: UnitOfWork,
    actor: Actor,
    action: AdminAction,
    target: tuple[str, str],
    reason: str,
    now: datetime,
    **details: Any,
) -> None:
    """Write the audit entry in the same transaction as the change it describes."""
    target_type, target_id = target
    uow.audit.add(
        AuditEntry(action, actor.user_id, target_type, target_id, reason, now, dict(details))
    )
