"""The ports the auth use cases need. Adapters implement them; tests use the Fake* ones."""

from __future__ import annotations

import abc
import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel_auth.domain.erasure import Erasure
from keel_auth.domain.events import AuthEvent
from keel_auth.domain.export import Export
from keel_auth.domain.mfa import (
    CeremonyKind,
    MfaChallenge,
    Passkey,
    RecoveryCode,
    TotpFactor,
    WebAuthnChallenge,
)
from keel_auth.domain.model import (
    AuditEntry,
    LoginSession,
    OneTimeSecret,
    RefreshToken,
    SecretPurpose,
    User,
)
from keel_auth.domain.policy import Limit
from keel_auth.service_layer.oidc_ports import IdentityRepository, OidcStateRepository
from keel_common.auth.principal import Principal, RevocationList
from keel_common.pagination import Position
from keel_common.unit_of_work import AbstractUnitOfWork

__all__ = [
    "AccessTokens",
    "AuditLog",
    "ErasureRepository",
    "ExportRepository",
    "IssuedAccessToken",
    "MfaRepository",
    "NewPasskey",
    "OneTimeSecretRepository",
    "OtpSmsMeter",
    "PasskeyRepository",
    "PasswordHasher",
    "PersonalData",
    "RefreshTokenRepository",
    "RevocationList",
    "SecretBox",
    "SessionRepository",
    "Throttle",
    "UnitOfWork",
    "UserDataSource",
    "UserQuery",
    "UserRepository",
    "WebAuthn",
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
    def consume(self, secret: OneTimeSecret, now: datetime) -> bool:
        """Mark the secret used unless it already was, atomically; False if a concurrent
        request used it first (a link clicked twice at once works once)."""

    @abc.abstractmethod
    def get(self, secret_id: uuid.UUID) -> OneTimeSecret | None: ...

    @abc.abstractmethod
    def latest(self, purpose: SecretPurpose, user_id: uuid.UUID) -> OneTimeSecret | None:
        """The newest secret of this purpose for the user (used or not)."""


class MfaRepository(abc.ABC):
    """TOTP factors, recovery codes and mfa challenges. Each ``spend``/``use`` is atomic (a
    conditional update): of two concurrent answers with one code, exactly one wins."""

    @abc.abstractmethod
    def totp_for(self, user_id: uuid.UUID) -> TotpFactor | None: ...

    @abc.abstractmethod
    def add_totp(self, factor: TotpFactor) -> None: ...

    @abc.abstractmethod
    def remove_totp(self, user_id: uuid.UUID) -> None:
        """Delete the user's factor (pending or not) and every recovery code."""

    @abc.abstractmethod
    def use_totp_step(self, factor: TotpFactor, step: int) -> bool:
        """Record ``step`` as the last used unless a step as new was; False then."""

    @abc.abstractmethod
    def add_recovery_codes(self, codes: Sequence[RecoveryCode]) -> None: ...

    @abc.abstractmethod
    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        """Mark the user's unused code with this hash used; False if there is none."""

    @abc.abstractmethod
    def add_challenge(self, challenge: MfaChallenge) -> None: ...

    @abc.abstractmethod
    def challenge_by_hash(self, token_hash: str) -> MfaChallenge | None: ...

    @abc.abstractmethod
    def spend_challenge(self, challenge: MfaChallenge, now: datetime) -> bool: ...


class PasskeyRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, passkey: Passkey) -> None: ...

    @abc.abstractmethod
    def get(self, passkey_id: uuid.UUID) -> Passkey | None: ...

    @abc.abstractmethod
    def by_credential_id(self, credential_id: str) -> Passkey | None: ...

    @abc.abstractmethod
    def for_user(self, user_id: uuid.UUID) -> list[Passkey]: ...

    @abc.abstractmethod
    def remove(self, passkey: Passkey) -> None: ...

    @abc.abstractmethod
    def add_challenge(self, challenge: WebAuthnChallenge) -> None: ...

    @abc.abstractmethod
    def take_challenge(
        self, kind: CeremonyKind, challenge_hash: str, now: datetime
    ) -> WebAuthnChallenge | None:
        """The live challenge with this hash, marked used atomically; None if it is unknown,
        expired or was taken already."""


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


class ExportRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, export: Export) -> None: ...

    @abc.abstractmethod
    def get(self, export_id: uuid.UUID) -> Export | None: ...

    @abc.abstractmethod
    def requested_since(self, user_id: uuid.UUID, since: datetime) -> list[Export]:
        """The user's export jobs requested at or after ``since``, oldest first."""

    @abc.abstractmethod
    def by_token_hash(self, token_hash: str) -> Export | None: ...

    @abc.abstractmethod
    def spend(self, export: Export, now: datetime) -> bool:
        """Mark downloaded if nobody did yet (a conditional UPDATE); False if already."""


class UserDataSource(abc.ABC):
    """Another service's ``ExportUserData`` (gRPC): what it holds about a user. Raises
    ``ServiceUnavailable`` when the service is down, so the export is retried later."""

    @abc.abstractmethod
    def export_user_data(self, service: str, user_id: uuid.UUID) -> dict[str, Any]: ...


class ErasureRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, erasure: Erasure) -> None: ...

    @abc.abstractmethod
    def for_user(self, user_id: uuid.UUID, *, lock: bool = False) -> Erasure | None:
        """The erasure of ``user_id`` (at most one), locked for update when ``lock``."""


class PersonalData(abc.ABC):
    """What auth forgets when an account is erased."""

    @abc.abstractmethod
    def forget_user(self, user_id: uuid.UUID) -> None:
        """Delete the user row with its sessions, refresh tokens and one-time secrets."""

    @abc.abstractmethod
    def pseudonymize_audit(self, user_id: uuid.UUID, identifiers: Sequence[str]) -> int:
        """Strip the client address, user agent and any of ``identifiers`` (email, phone,
        name) from the audit entries about or by ``user_id``, and from any entry naming one
        of ``identifiers`` (a failed login before sign-up); the number of entries changed."""

    @abc.abstractmethod
    def forget_published_events(self, user_id: uuid.UUID, addresses: Sequence[str]) -> int:
        """Delete the outbox rows already published that name ``user_id`` or one of
        ``addresses`` (email, phones): the relay keeps them a while, and they carry what the
        messages said (address, name, one-time codes). Rows still to publish stay. The
        number deleted."""


class UnitOfWork(AbstractUnitOfWork):
    """One transaction over the auth repositories; events are published on commit."""

    users: UserRepository
    sessions: SessionRepository
    refresh_tokens: RefreshTokenRepository
    secrets: OneTimeSecretRepository
    audit: AuditLog
    identities: IdentityRepository
    oidc_states: OidcStateRepository
    mfa: MfaRepository
    passkeys: PasskeyRepository
    erasures: ErasureRepository
    exports: ExportRepository
    personal_data: PersonalData

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
    def issue(
        self, user: User, session_id: uuid.UUID, now: datetime, amr: Sequence[str] = ()
    ) -> IssuedAccessToken: ...

    @abc.abstractmethod
    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims, or ``keel_common.auth.InvalidToken``. Does not check
        revocation: the caller looks the session up."""

    @abc.abstractmethod
    def principal(self, token: str) -> Principal:
        """Who ``decode``'s claims stand for (``keel_common.auth.principal_from_claims``),
        under the same checks; an adapter that remembers verified tokens may remember this."""


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


class SecretBox(abc.ABC):
    """Encrypts secrets the service must read back (TOTP seeds), with a key from settings."""

    @abc.abstractmethod
    def seal(self, plaintext: str) -> str: ...

    @abc.abstractmethod
    def open(self, sealed: str) -> str: ...


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: str
    sign_count: int


class WebAuthn(abc.ABC):
    """The WebAuthn ceremonies for this relying party (id and origins from settings).
    Options are the JSON handed to ``navigator.credentials``; challenges are base64url."""

    @abc.abstractmethod
    def registration_options(
        self, user: User, exclude: Sequence[str]
    ) -> tuple[dict[str, Any], str]:
        """Options for a discoverable credential with user verification, and the challenge."""

    @abc.abstractmethod
    def authentication_options(self) -> tuple[dict[str, Any], str]:
        """Options for a sign-in with any discoverable credential, and the challenge."""

    @abc.abstractmethod
    def challenge_of(self, credential: dict[str, Any]) -> str | None:
        """The challenge the browser signed (from clientDataJSON), None if unreadable."""

    @abc.abstractmethod
    def verify_registration(self, credential: dict[str, Any], challenge: str) -> NewPasskey:
        """The new credential, or ``PasskeyRejected``."""

    @abc.abstractmethod
    def credential_id_of(self, credential: dict[str, Any]) -> str | None: ...

    @abc.abstractmethod
    def verify_authentication(
        self, credential: dict[str, Any], challenge: str, passkey: Passkey
    ) -> int:
        """The new signature counter, or ``PasskeyRejected`` (bad signature, no user
        verification, a counter that went backwards: a cloned authenticator)."""
