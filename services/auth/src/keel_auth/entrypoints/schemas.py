"""Request and response bodies of the public HTTP API (the contract in the issue)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from keel_auth.domain.model import User
from keel_auth.service_layer.steps import TokenPair
from keel_auth.service_layer.views import AccountView
from keel_common.http import Schema

# Generous caps so nobody streams megabytes into argon2; the real rules are the domain's.
Email = Annotated[str, Field(max_length=320)]
Secret = Annotated[str, Field(max_length=1024)]
Phone = Annotated[str, Field(max_length=32)]


class SignUpBody(Schema):
    email: Email
    password: Secret
    name: str | None = Field(default=None, max_length=200)
    phone: Phone | None = None


class LogInBody(Schema):
    email: Email
    password: Secret


class RefreshBody(Schema):
    refresh_token: Secret


class LogOutBody(Schema):
    refresh_token: Secret | None = None


class OtpRequestBody(Schema):
    phone: Phone


class OtpVerifyBody(Schema):
    phone: Phone
    code: str = Field(max_length=16)


class ForgotPasswordBody(Schema):
    email: Email


class ResetPasswordBody(Schema):
    token: Secret
    password: Secret


class VerifyEmailBody(Schema):
    token: Secret


class ResendVerificationBody(Schema):
    email: Email


class PhoneBody(Schema):
    phone: Phone


class PhoneVerifyBody(Schema):
    phone: Phone
    code: str = Field(max_length=16)


class RolesBody(Schema):
    roles: list[str] = Field(max_length=20)


class UserPath(Schema):
    id: uuid.UUID


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str | None
    phone: str | None = Field(description="The proven number (OTP login texts it)")
    phone_verified: bool
    pending_phone: str | None = Field(description="A number waiting for its code")
    roles: list[str]
    email_verified: bool
    locale: str | None = Field(description="BCP 47 tag the user's messages are written in")
    created_at: datetime

    @classmethod
    def of(cls, user: User | AccountView) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            phone=user.phone,
            phone_verified=user.phone_verified and user.phone is not None,
            pending_phone=user.pending_phone,
            roles=list(user.roles),
            email_verified=user.email_verified,
            locale=user.locale,
            created_at=_aware(user.created_at),
        )

    @staticmethod
    def document(user: User | AccountView) -> dict[str, Any]:
        """``UserOut.of(user).model_dump(mode="json")`` without building the model: every
        call of a signed-in client reads it (``GET /v1/auth/me``), and pydantic's validation
        and dump cost more than the rest of the answer's rendering."""
        return {
            "id": str(user.id),
            "email": user.email,
            "name": user.name,
            "phone": user.phone,
            "phone_verified": user.phone_verified and user.phone is not None,
            "pending_phone": user.pending_phone,
            "roles": list(user.roles),
            "email_verified": user.email_verified,
            "locale": user.locale,
            "created_at": to_jsonable_python(_aware(user.created_at)),
        }


def _aware(created: datetime) -> datetime:
    """SQLite hands back naive UTC values."""
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type
    expires_in: int

    @classmethod
    def of(cls, pair: TokenPair) -> TokenPairOut:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            token_type=pair.token_type,
            expires_in=pair.expires_in,
        )
