"""Events the auth service publishes (``keel-auth``).

``UserRegistered``, ``OtpRequested``, ``PasswordResetRequested`` and ``EmailChangeRequested``
(and the verification events) carry a one-time secret
for the notification service to deliver; the secrets are short-lived, single-use and stored
only hashed in the auth database, and published outbox rows are pruned after 30 minutes.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from keel_events.base import Event


class AuthEvent(Event):
    producer: ClassVar[str] = "auth"
    subject_field: ClassVar[str] = "user_id"


class UserRegistered(AuthEvent):
    type: ClassVar[str] = "auth.user.registered.v1"
    user_id: UUID
    email: str
    name: str | None
    verification_token: str
    verification_expires_at: datetime


class OtpRequested(AuthEvent):
    """A login code to send by SMS on the transactional channel."""

    type: ClassVar[str] = "auth.otp.requested.v1"
    user_id: UUID
    phone: str
    code: str
    expires_at: datetime
    channel: str = "transactional"
    locale: str | None = None  # the user's BCP 47 tag, when they chose one (issue #14)


class PasswordResetRequested(AuthEvent):
    type: ClassVar[str] = "auth.password.reset_requested.v1"
    user_id: UUID
    email: str
    name: str | None
    reset_token: str
    expires_at: datetime
    locale: str | None = None  # the user's BCP 47 tag, when they chose one (issue #14)


class PasswordChanged(AuthEvent):
    """The password was reset and every session signed out; the user is told by email."""

    type: ClassVar[str] = "auth.password.changed.v1"
    user_id: UUID
    email: str
    name: str | None
    locale: str | None = None  # the user's BCP 47 tag, when they chose one (issue #14)


class SessionRevoked(AuthEvent):
    """A login session ended; its access tokens are denied until ``tokens_expire_at``."""

    type: ClassVar[str] = "auth.session.revoked.v1"
    subject_field: ClassVar[str] = "session_id"
    session_id: UUID
    user_id: UUID
    reason: str
    tokens_expire_at: datetime


class TokenReuseDetected(AuthEvent):
    """A spent refresh token came back: the session family was revoked; tell the user."""

    type: ClassVar[str] = "auth.security.token_reuse_detected.v1"
    user_id: UUID
    email: str
    name: str | None
    session_id: UUID
    locale: str | None = None  # the user's BCP 47 tag, when they chose one (issue #14)


class UserRolesChanged(AuthEvent):
    type: ClassVar[str] = "auth.user.roles_changed.v1"
    user_id: UUID
    roles: tuple[str, ...]
    changed_by: UUID | None


class SignUpAttempted(AuthEvent):
    """Someone signed up with the address of an existing account: the answer to them is the
    same as for a new address, and the owner is told by email instead (issue #11)."""

    type: ClassVar[str] = "auth.user.signup_attempted.v1"
    user_id: UUID
    email: str
    name: str | None
    email_verified: bool
    locale: str | None = None  # the user's BCP 47 tag, when they chose one (issue #14)


class EmailVerificationRequested(AuthEvent):
    """A new verification link for an account whose address is not verified yet."""

    type: ClassVar[str] = "auth.email.verification_requested.v1"
    user_id: UUID
    email: str
    name: str | None
    verification_token: str
    verification_expires_at: datetime
    locale: str | None = None  # the user's BCP 47 tag, when they chose one (issue #14)


class PhoneVerificationRequested(AuthEvent):
    """A code proving a new phone number, to text on the transactional channel. The number
    is not the user's contact until the code comes back."""

    type: ClassVar[str] = "auth.phone.verification_requested.v1"
    user_id: UUID
    phone: str
    code: str
    expires_at: datetime
    locale: str | None = None  # the user's BCP 47 tag, when they chose one (issue #14)


class UserProfileUpdated(AuthEvent):
    """The user changed their name or locale (``PATCH /v1/auth/me``)."""

    type: ClassVar[str] = "auth.user.profile_updated.v1"
    user_id: UUID
    name: str | None
    locale: str | None = None


class EmailChangeRequested(AuthEvent):
    """The user asked to move their account to ``new_email``. A notice goes to ``email``
    (the current address) and the confirmation link (``confirmation_token``) to the new one,
    unless another account already has it: then there is no token and no link, and the
    user's answer is the same (it must not reveal who is registered)."""

    type: ClassVar[str] = "auth.email.change_requested.v1"
    user_id: UUID
    email: str
    new_email: str
    name: str | None
    confirmation_token: str | None = None
    expires_at: datetime
    locale: str | None = None


class EmailChanged(AuthEvent):
    """The link reached the new address: it is the account's (verified) email from now on."""

    type: ClassVar[str] = "auth.email.changed.v1"
    user_id: UUID
    email: str
    previous_email: str
    name: str | None
    locale: str | None = None


class AccountErasureRequested(AuthEvent):
    """The account was disabled for erasure (by its owner or an admin): every service forgets
    what it holds about ``user_id`` and answers with its own ``<svc>.user.erased.v1``. The
    event carries no personal data: each service erases by the id."""

    type: ClassVar[str] = "auth.user.erasure_requested.v1"
    user_id: UUID
    requested_at: datetime


class AccountErased(AuthEvent):
    """Every service reported the erasure: the last email, confirming it. Notification sends
    it with the recipient masked at write time, so the address stays in no delivery log."""

    type: ClassVar[str] = "auth.user.erased.v1"
    user_id: UUID
    email: str
    name: str | None
    locale: str | None = None


class UserExportRequested(AuthEvent):
    """The user asked for their data (issue #14). Auth's own worker assembles the document
    (asking every service) so the request stays fast. Ids only: nothing to leak."""

    type: ClassVar[str] = "auth.user.export_requested.v1"
    user_id: UUID
    export_id: UUID


class UserExportReady(AuthEvent):
    """The export is assembled: notification emails the single-use link built from
    ``download_token`` (valid until ``expires_at``), template ``export_ready``."""

    type: ClassVar[str] = "auth.user.export_ready.v1"
    user_id: UUID
    email: str
    name: str | None
    download_token: str
    expires_at: datetime
    locale: str | None = None
