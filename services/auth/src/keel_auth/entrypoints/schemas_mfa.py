"""Request and response bodies of two-factor and passkey routes (the contract of issue 15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, RootModel, model_validator

from keel_auth.domain.mfa import Passkey
from keel_auth.entrypoints.schemas import TokenPairOut
from keel_common.http import Schema

Code = Annotated[str, Field(min_length=1, max_length=64)]


class MfaRequiredOut(BaseModel):
    """A sign-in whose account has two-factor on: answer ``/v1/auth/mfa/challenge``."""

    mfa_required: bool = True
    mfa_token: str


class SignInOut(RootModel[TokenPairOut | MfaRequiredOut]):
    """What a sign-in answers: the token pair, or ``mfa_required`` with its token."""


class CredentialOptionsOut(RootModel[dict[str, Any]]):
    """WebAuthn options as JSON (``PublicKeyCredential.parse*OptionsFromJSON``)."""


class TotpOut(BaseModel):
    secret: str
    otpauth_uri: str


class CodeBody(Schema):
    code: Code


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class ChallengeBody(Schema):
    mfa_token: Annotated[str, Field(max_length=256)]
    code: Code | None = None
    recovery_code: Code | None = None

    @model_validator(mode="after")
    def _one_answer(self) -> ChallengeBody:
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("give either code or recovery_code")
        return self


class PasskeyCredentialBody(Schema):
    """A ``PublicKeyCredential`` as JSON (``credential.toJSON()`` in the browser)."""

    credential: dict[str, Any]
    name: str | None = Field(default=None, max_length=100)


class PasskeyPath(Schema):
    id: uuid.UUID


class PasskeyOut(BaseModel):
    id: uuid.UUID
    name: str | None
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyOut:
        return cls(
            id=passkey.id,
            name=passkey.name,
            created_at=_aware(passkey.created_at),
            last_used_at=_aware(passkey.last_used_at) if passkey.last_used_at else None,
        )


class PasskeysOut(BaseModel):
    passkeys: list[PasskeyOut]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
