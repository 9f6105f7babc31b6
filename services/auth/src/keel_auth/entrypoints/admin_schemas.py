"""Request and response models of auth's back-office API (``/v1/admin/users``, audit)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from keel_auth.domain.model import AuditEntry, LoginSession, User
from keel_auth.service_layer.admin_users import DEFAULT_LIMIT, MAX_LIMIT, MAX_REASON
from keel_common.http import Schema

Reason = Annotated[
    str,
    Field(min_length=1, max_length=MAX_REASON, description="Why; kept in the audit trail"),
]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC values."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Paging(Schema):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(
        default=None, max_length=200, description="next_cursor of the previous page"
    )


class UserQueryIn(Paging):
    id: uuid.UUID | None = Field(default=None, description="One account by id")
    email: str | None = Field(default=None, max_length=320, description="The exact address")
    email_prefix: str | None = Field(
        default=None, max_length=320, description="The address starts with this"
    )
    phone: str | None = Field(default=None, max_length=32, description="The proven number, E.164")


class AuditQueryIn(Paging):
    user_id: uuid.UUID | None = Field(default=None, description="Events about this account")
    actor_id: uuid.UUID | None = Field(default=None, description="Events done by this account")


class ReasonIn(Schema):
    reason: Reason


class AdminRolesIn(Schema):
    roles: list[str] = Field(max_length=20)
    reason: Reason


class AdminUserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str | None
    phone: str | None
    phone_verified: bool
    pending_phone: str | None
    email_verified: bool
    roles: list[str]
    created_at: datetime
    disabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            phone=user.phone,
            phone_verified=user.phone_verified and user.phone is not None,
            pending_phone=user.pending_phone,
            email_verified=user.email_verified,
            roles=list(user.roles),
            created_at=_aware(user.created_at) or user.created_at,
            disabled=user.is_disabled,
            disabled_at=_aware(user.disabled_at),
            disabled_reason=user.disabled_reason,
        )


class SessionOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    ip: str | None
    user_agent: str | None
    last_seen_at: datetime | None = Field(default=None, description="The last refresh, if known")

    @classmethod
    def of(cls, session: LoginSession) -> SessionOut:
        # ``last_seen_at`` arrives with the self-service sessions work; absent, it is null.
        last_seen = getattr(session, "last_seen_at", None)
        return cls(
            id=session.id,
            created_at=_aware(session.created_at) or session.created_at,
            ip=session.ip,
            user_agent=session.user_agent,
            last_seen_at=_aware(last_seen),
        )


class AdminUserDetailOut(BaseModel):
    user: AdminUserOut
    sessions: list[SessionOut]


class AdminUserPage(BaseModel):
    items: list[AdminUserOut]
    next_cursor: str | None


class AuditOut(BaseModel):
    id: uuid.UUID
    action: str
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    ip: str | None
    user_agent: str | None
    occurred_at: datetime
    reason: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        details = dict(entry.details or {})
        return cls(
            id=entry.id,
            action=str(entry.action),
            user_id=entry.user_id,
            actor_id=entry.actor_id,
            ip=entry.ip,
            user_agent=entry.user_agent,
            occurred_at=_aware(entry.occurred_at) or entry.occurred_at,
            reason=details.pop("reason", None),
            details=details,
        )


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


class RevokedOut(BaseModel):
    revoked_sessions: int


class SignupStatsOut(BaseModel):
    signups_today: int
    signups_last_7_days: int
    today_since: datetime
    last_7_days_since: datetime
