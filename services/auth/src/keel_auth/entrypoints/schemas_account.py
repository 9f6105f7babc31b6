"""Bodies of the self-service API (issue #14): password, profile, email, sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from keel_auth.domain.model import LoginSession
from keel_auth.entrypoints.schemas import Email, Secret
from keel_common.http import Schema


class ChangePasswordBody(Schema):
    current_password: Secret
    new_password: Secret


class UpdateProfileBody(Schema):
    name: str | None = Field(
        default=None, max_length=200, description="Absent or null: unchanged; empty: removed"
    )
    locale: str | None = Field(
        default=None, max_length=35, description="BCP 47 tag (en, fr, fr-CA); null: unchanged"
    )


class ChangeEmailBody(Schema):
    new_email: Email
    password: Secret


class ConfirmEmailChangeBody(Schema):
    token: Secret


class SessionPath(Schema):
    id: uuid.UUID


class SessionOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime = Field(description="Sign-in or the latest token refresh")
    ip: str | None
    user_agent: str | None
    current: bool = Field(description="The session of the token making this request")

    @classmethod
    def of(cls, session: LoginSession, current_id: uuid.UUID) -> SessionOut:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at or session.created_at,
            ip=session.ip,
            user_agent=session.user_agent,
            current=session.id == current_id,
        )


class SessionsOut(BaseModel):
    items: list[SessionOut]
