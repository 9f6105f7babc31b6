"""The admin audit trail: who did what to which record, when and why.

The same shape as auth's ``audit_log`` (action, actor, occurred_at, details), plus the
target the action was about and the reason the operator gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from keel_core.domain.errors import FieldError, InvalidInput

MAX_REASON = 500


class AdminAction(StrEnum):
    ORDER_CANCELLED = "order.cancelled"
    PRODUCT_EDITED = "product.edited"
    PRODUCT_UNLISTED = "product.unlisted"
    PRODUCT_RELISTED = "product.relisted"
    APP_VERSION_CHANGED = "app_version.changed"


@dataclass
class AuditEntry:
    action: AdminAction
    actor_id: UUID
    target_type: str
    target_id: str
    reason: str
    occurred_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    id: UUID = field(default_factory=uuid4)


def check_reason(reason: str) -> str:
    """Every admin action says why, in words the affected user may read."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput.of([FieldError("reason", "must not be empty")])
    if len(text) > MAX_REASON:
        raise InvalidInput.of([FieldError("reason", f"must be at most {MAX_REASON} characters")])
    return text
