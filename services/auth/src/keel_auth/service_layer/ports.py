"""The ports the auth use cases need. Adapters implement them; tests use the Fake* ones."""

from __future__ import annotations

import abc
import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel_auth.domain.events import AuthEvent
from keel_auth.domain.model import (
    AuditEntry,
    LoginSession,
    OneTimeSecret,
    RefreshToken,
    SecretPurpose,
    User,
)
from keel_auth.domain.policy import Limit
from keel_common.auth.principal import RevocationList
from keel_common.pagination import Position
from keel_common.unit_of_work import AbstractUnitOfWork

__all__ = [
    "AccessTokens",
    "AuditLog",
    "IssuedAccessToken",
    "OneTimeSecretRepository",
    "OtpSmsMeter",
    "PasswordHasher",
    "RefreshTokenRepository",
    "RevocationList",
    "SessionRepository",
    "Throttle",
    "UnitOfWork",
    "UserQuery",
    "UserRepository",
]


@dataclass(frozen=True)
class UserQuery:
    """What the back-office looks accounts up by; every field set must match (none: all)."""

    user_id: uuid.UUID | None = None
    email: str | None = None
    email_prefix: str | None = None
    phone: str | None = None


class UserRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, user: User) -> None: ...

    @abc.abstractmethod
    def get(self, user_id: uuid.UUID) -> User | None: ...

    @abc.abstractmethod
    def get_by_email(self, email: str) -> User | None: ...

    @abc.abstractmethod
    def get_by_phone(self, phone: str) -> User | None: ...

    @abc.abstractmethod
    def list(self, user_ids: Sequence[uuid.UUID]) -> list[User]:
        """The users among ``user_ids`` that exist, in no particular order."""

    @abc.abstractmethod
    def count_admins(self) -> int:
        """How many accounts hold the admin role."""

    @abc.abstractmethod
    def find(self, query: UserQuery, after: Position | None, limit: int) -> builtins.list[User]:
        """Accounts matching ``query``, newest first (``created_at``, ``id``), after ``after``."""

    @abc.abstractmethod
    def count_created_since(self, since: datetime) -> int:
        """How many accounts were created at or after ``since`` (sign-ups)."""

    @abc.abstractmethod
    def release_phone(self, phone: str) -> None:
        """Take the verified ``phone`` away from whichever account holds it, at once (its
        new owner proved it; numbers are recycled by carriers)."""


class SessionRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, session: LoginSession) -> None: ...

    @abc.abstractmethod
    def get(self, session_id: uuid.UUID) -> LoginSession | None: ...

    @abc.abstractmethod
    def active_for_user(self, user_id: uuid.UUID) -> list[LoginSession]: ...


class RefreshTokenRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, token: RefreshToken) -> None: ...

    @abc.abstractmethod
    def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    @abc.abstractmethod
    def spend(self, token: RefreshToken, now: datetime) -> bool:
        """Mark the token spent unless it already was, atomically; False if it was spent
        (by a concurrent request too), which the caller treats as reuse."""


class OneTimeSecretRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, secret: OneTimeSecret) -> None: ...

    @abc.abstractmethod
    def get(self, secret_id: uuid.UUID) -> OneTimeSecret | None: ...

    @abc.abstractmethod
    def latest(self, purpose: SecretPurpose, user_id: uuid.UUID) -> OneTimeSecret | None:
        """The newest secret of this purpose for the user (used or not)."""


class AuditLog(abc.ABC):
    @abc.abstractmethod
    def add(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def find(
        self,
        *,
        user_id: uuid.UUID | None,
        actor_id: uuid.UUID | None,
        after: Position | None,
        limit: int,
    ) -> list[AuditEntry]:
        """Entries about ``user_id`` and/or by ``actor_id`` (None: any), newest first by
        (``occurred_at``, ``id``), after ``after``."""


class UnitOfWork(AbstractUnitOfWork):
    """One transaction over the auth repositories; events are published on commit."""

    users: UserRepository
    sessions: SessionRepository
    refresh_tokens: RefreshTokenRepository
    secrets: OneTimeSecretRepository
    audit: AuditLog

    @abc.abstractmethod
    def publish(self, event: AuthEvent) -> None:
        """Queue a domain event; it is stored in the outbox only if the work commits."""


class PasswordHasher(abc.ABC):
    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; never raises for a mismatch. With no hash (unknown
        account) it spends the same time and returns False, so timing reveals nothing."""

    @abc.abstractmethod
    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    expires_at: datetime


class AccessTokens(abc.ABC):
    """Signs and reads the service's access tokens (JWT)."""

    @abc.abstractmethod
    def issue(self, user: User, session_id: uuid.UUID, now: datetime) -> IssuedAccessToken: ...

    @abc.abstractmethod
    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims, or ``keel_common.auth.InvalidToken``. Does not check
        revocation: the caller looks the session up."""


class Throttle(abc.ABC):
    """Sliding-window counters shared by every process that serves the API."""

    @abc.abstractmethod
    def hit(self, name: str, key: str, limit: Limit) -> None:
        """Count one event; raise ``Throttled`` (without counting) if the limit is reached."""

    @abc.abstractmethod
    def check(self, name: str, key: str, limit: Limit) -> None:
        """Raise ``Throttled`` if the limit is reached, without counting anything."""

    @abc.abstractmethod
    def remaining(self, name: str, key: str, limit: Limit) -> int: ...

    @abc.abstractmethod
    def clear(self, name: str, key: str, limit: Limit) -> None:
        """Forget every counted event (the owner proved control of the account)."""


class OtpSmsMeter(abc.ABC):
    """Where the cost of OTP SMS is made visible (metrics), so an alert fires before the bill."""

    @abc.abstractmethod
    def sent(self, region: str, remaining_today: int) -> None: ...

    @abc.abstractmethod
    def refused(self, reason: str) -> None: ...
