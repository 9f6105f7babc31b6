"""Domain events of the auth service (past tense). Their fields are the envelope ``data``.

``OtpRequested``, ``UserRegistered`` and ``PasswordResetRequested`` carry a one-time secret for
the notification service to deliver; the secrets are short-lived, single-use and stored only
hashed in the auth database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class UserRegistered:
    type: ClassVar[str] = "auth.user.registered.v1"
    user_id: uuid.UUID
    email: str
    name: str | None
    verification_token: str
    verification_expires_at: datetime

    @property
    def subject(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True)
class OtpRequested:
    """A login code to send by SMS on the transactional channel."""

    type: ClassVar[str] = "auth.otp.requested.v1"
    user_id: uuid.UUID
    phone: str
    code: str
    expires_at: datetime
    channel: str = "transactional"

    @property
    def subject(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True)
class PasswordResetRequested:
    type: ClassVar[str] = "auth.password.reset_requested.v1"
    user_id: uuid.UUID
    email: str
    name: str | None
    reset_token: str
    expires_at: datetime

    @property
    def subject(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True)
class PasswordChanged:
    """The password was reset and every session signed out; the user is told by email."""

    type: ClassVar[str] = "auth.password.changed.v1"
    user_id: uuid.UUID
    email: str
    name: str | None

    @property
    def subject(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True)
class SessionRevoked:
    """A login session ended; its access tokens are denied until ``tokens_expire_at``."""

    type: ClassVar[str] = "auth.session.revoked.v1"
    session_id: uuid.UUID
    user_id: uuid.UUID
    reason: str
    tokens_expire_at: datetime

    @property
    def subject(self) -> str:
        return str(self.session_id)


@dataclass(frozen=True)
class TokenReuseDetected:
    """A spent refresh token came back: the session family was revoked; tell the user."""

    type: ClassVar[str] = "auth.security.token_reuse_detected.v1"
    user_id: uuid.UUID
    email: str
    name: str | None
    session_id: uuid.UUID

    @property
    def subject(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True)
class UserRolesChanged:
    type: ClassVar[str] = "auth.user.roles_changed.v1"
    user_id: uuid.UUID
    roles: tuple[str, ...]
    changed_by: uuid.UUID | None

    @property
    def subject(self) -> str:
        return str(self.user_id)
