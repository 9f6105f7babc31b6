"""Entities of the auth service: users, login sessions, refresh tokens, one-time secrets
and audit entries. Plain Python; mapped onto tables by ``keel_auth.adapters.orm``."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from keel_auth.domain.errors import MalformedToken
from keel_auth.domain.values import DEFAULT_ROLES, roles_grant


def hash_secret(secret: str, salt: str = "") -> str:
    """SHA-256 of a high-entropy secret; the database stores only this."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class User:
    def __init__(
        self,
        email: str,
        password_hash: str | None,
        now: datetime,
        *,
        name: str | None = None,
        pending_phone: str | None = None,
        roles: Iterable[str] = DEFAULT_ROLES,
    ) -> None:
        self.id = uuid.uuid4()
        self.email = email
        self.password_hash = password_hash
        self.name = name
        # ``phone`` holds only a number its owner proved with a code (OTP login texts it);
        # a number given at sign-up or later waits in ``pending_phone`` until then.
        self.phone: str | None = None
        self.pending_phone = pending_phone
        self.email_verified = False
        self.phone_verified = False
        self.roles: list[str] = sorted(set(roles))
        # BCP 47 tag the user writes in (normalised); notification picks templates by it.
        self.locale: str | None = None
        self.created_at = now
        # A disabled account cannot sign in and keeps no live session (support, abuse, erasure).
        self.disabled_at: datetime | None = None
        self.disabled_reason: str | None = None

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    def disable(self, reason: str, now: datetime) -> bool:
        """Stop the account from signing in; False if it already was disabled."""
        if self.disabled_at is not None:
            return False
        self.disabled_at = now
        self.disabled_reason = reason
        return True

    def enable(self) -> bool:
        """Let the account sign in again; False if it was not disabled."""
        if self.disabled_at is None:
            return False
        self.disabled_at = None
        self.disabled_reason = None
        return True

    def set_roles(self, roles: Iterable[str]) -> bool:
        """Replace the roles; True when a role was taken away (tokens must not outlive it)."""
        new = sorted(set(roles))
        lost = bool(set(self.roles) - set(new))
        self.roles = new  # reassigned, never mutated in place, so the ORM sees the change
        return lost

    def can(self, permission: str) -> bool:
        return roles_grant(self.roles, permission)

    def confirm_phone(self, phone: str) -> None:
        """The owner proved ``phone`` with a code: it replaces the previous one."""
        self.phone = phone
        self.phone_verified = True
        self.pending_phone = None

    def drop_phones(self) -> None:
        """Forget every phone (a reset of a never-verified account: whoever created it may
        have attached their own number)."""
        self.phone = None
        self.phone_verified = False
        self.pending_phone = None


class LoginSession:
    """One sign-in (a refresh-token family); revoking it ends every token it issued."""

    def __init__(
        self,
        user_id: uuid.UUID,
        now: datetime,
        *,
        ip: str | None,
        user_agent: str | None,
        amr: Iterable[str] = (),
    ) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        # How the user signed in (RFC 8176 names); refreshed tokens carry it on.
        self.amr: list[str] | None = sorted(set(amr))
        self.ip = ip
        self.user_agent = user_agent
        self.created_at = now
        # Moved on by each refresh rotation only: a write per API call would cost too much.
        self.last_seen_at: datetime | None = now
        self.revoked_at: datetime | None = None
        self.revoke_reason: str | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, reason: str, now: datetime) -> bool:
        """End the session; False if it had already ended."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = now
        self.revoke_reason = reason
        return True


class RefreshToken:
    """A rotated refresh token; the raw value is returned once and only its hash is stored."""

    def __init__(self, session_id: uuid.UUID, now: datetime, expires_at: datetime) -> None:
        self.id = uuid.uuid4()
        self.session_id = session_id
        self.raw = secrets.token_urlsafe(32)  # 256 bits; not persisted
        self.token_hash = hash_secret(self.raw)
        self.created_at = now
        self.expires_at = expires_at
        self.spent_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


class SecretPurpose(enum.StrEnum):
    LOGIN_OTP = "login_otp"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name, not a password
    EMAIL_VERIFICATION = "email_verification"
    PHONE_VERIFICATION = "phone_verification"
    EMAIL_CHANGE = "email_change"
    OIDC_EXCHANGE = "oidc_exchange"


class OneTimeSecret:
    """A login code or an emailed token: stored hashed, single-use, short-lived."""

    def __init__(
        self,
        purpose: SecretPurpose,
        user_id: uuid.UUID,
        now: datetime,
        expires_at: datetime,
        *,
        new_email: str | None = None,
    ) -> None:
        self.id = uuid.uuid4()
        self.purpose = purpose
        # An email change: the address the link confirms (the token proves its inbox).
        self.new_email = new_email
        self.user_id = user_id
        if purpose in (SecretPurpose.LOGIN_OTP, SecretPurpose.PHONE_VERIFICATION):
            secret = f"{secrets.randbelow(10**6):06d}"
            self.raw = secret
        else:
            secret = secrets.token_urlsafe(32)
            self.raw = f"{self.id.hex}.{secret}"  # the id lets us compare in constant time
        self.secret_hash = hash_secret(secret, salt=str(self.id))
        self.created_at = now
        self.expires_at = expires_at
        self.used_at: datetime | None = None

    def matches(self, secret: str, now: datetime) -> bool:
        """Unused, unexpired and equal to ``secret`` (compared in constant time)."""
        candidate = hash_secret(secret, salt=str(self.id))
        equal = hmac.compare_digest(candidate, self.secret_hash)
        return equal and self.used_at is None and now < self.expires_at

    def use(self, now: datetime) -> None:
        self.used_at = now


def split_emailed_token(token: str) -> tuple[uuid.UUID, str]:
    """The record id and secret of a reset or verification token; MalformedToken otherwise."""
    record_id, dot, secret = token.partition(".")
    if not dot or not secret or len(record_id) != 32:
        raise MalformedToken("not a token issued by this service")
    try:
        return uuid.UUID(hex=record_id), secret
    except ValueError as exc:
        raise MalformedToken("not a token issued by this service") from exc


class AuditAction(enum.StrEnum):
    SIGNUP = "signup"
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    TOKEN_REUSE_DETECTED = "token_reuse_detected"  # noqa: S105 - an action name
    PASSWORD_RESET = "password.reset"  # noqa: S105 - an action name
    ROLES_CHANGED = "roles.changed"
    EMAIL_VERIFIED = "email.verified"
    PHONE_VERIFIED = "phone.verified"
    SIGNUP_EXISTING = "signup.existing"
    OTP_REQUESTED = "otp.requested"
    RESET_REQUESTED = "password.reset_requested"
    ACCOUNT_DISABLED = "account.disabled"
    ACCOUNT_ENABLED = "account.enabled"
    SESSIONS_REVOKED = "sessions.revoked"
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 - an action name
    PASSWORD_CHANGE_FAILED = "password.change_failed"  # noqa: S105 - an action name
    PROFILE_UPDATED = "profile.updated"
    EMAIL_CHANGE_REQUESTED = "email.change_requested"
    EMAIL_CHANGE_FAILED = "email.change_failed"
    EMAIL_CHANGED = "email.changed"
    SESSION_REVOKED = "session.revoked"
    IDENTITY_LINKED = "identity.linked"
    IDENTITY_UNLINKED = "identity.unlinked"
    IDENTITY_LINK_REFUSED = "identity.link_refused"
    ACCOUNT_TAKEN_OVER = "account.taken_over"
    MFA_CHALLENGED = "mfa.challenged"
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    MFA_FAILED = "mfa.failed"
    RECOVERY_CODE_USED = "mfa.recovery_code_used"
    PASSKEY_ADDED = "passkey.added"
    PASSKEY_REMOVED = "passkey.removed"
    ERASURE_REQUESTED = "account.erasure_requested"
    ACCOUNT_ERASED = "account.erased"
    EXPORT_REQUESTED = "account.export_requested"


class AuditEntry:
    """A security event: what happened, to whom, by whom, from where, when."""

    def __init__(
        self,
        action: AuditAction,
        now: datetime,
        *,
        user_id: uuid.UUID | None,
        actor_id: uuid.UUID | None,
        ip: str | None,
        user_agent: str | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.id = uuid.uuid4()
        self.action = action
        self.user_id = user_id
        self.actor_id = actor_id
        self.ip = ip
        self.user_agent = user_agent
        self.occurred_at = now
        self.details = details or {}
