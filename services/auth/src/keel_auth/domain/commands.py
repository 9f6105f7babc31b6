"""What callers ask the auth service to do (imperative), and where a request came from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """The client of a request, for throttling and the audit log."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LogIn:
    email: str
    password: str


@dataclass(frozen=True)
class RefreshSession:
    refresh_token: str


@dataclass(frozen=True)
class LogOut:
    refresh_token: str | None = None


@dataclass(frozen=True)
class RequestOtp:
    phone: str


@dataclass(frozen=True)
class VerifyOtp:
    phone: str
    code: str


@dataclass(frozen=True)
class ForgotPassword:
    email: str


@dataclass(frozen=True)
class ResetPassword:
    token: str
    password: str


@dataclass(frozen=True)
class VerifyEmail:
    token: str


@dataclass(frozen=True)
class SetRoles:
    user_id: uuid.UUID
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ResendVerification:
    email: str


@dataclass(frozen=True)
class AddPhone:
    phone: str


@dataclass(frozen=True)
class VerifyPhone:
    phone: str
    code: str


@dataclass(frozen=True)
class ChangePassword:
    current_password: str
    new_password: str


@dataclass(frozen=True)
class UpdateProfile:
    """None leaves a field as it is; an empty name removes it."""

    name: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class ChangeEmail:
    new_email: str
    password: str


@dataclass(frozen=True)
class ConfirmEmailChange:
    token: str


@dataclass(frozen=True)
class RevokeSession:
    session_id: uuid.UUID


@dataclass(frozen=True)
class AnswerMfaChallenge:
    """``code`` from the authenticator app, or one of the ``recovery_code``s."""

    mfa_token: str
    code: str | None = None
    recovery_code: str | None = None


@dataclass(frozen=True)
class RegisterPasskey:
    credential: dict[str, object]
    name: str | None = None


@dataclass(frozen=True)
class DeleteAccount:
    """The owner proves it is them: the password, or for an account without one a login
    code texted to its verified phone (``/v1/auth/otp/request``)."""

    password: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class EraseUser:
    """An admin erases someone else's account."""

    user_id: uuid.UUID
    reason: str
