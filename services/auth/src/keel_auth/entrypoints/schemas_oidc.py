"""Request and response bodies of sign-in with OpenID Connect (issue #15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from keel_auth.domain.oidc import Identity
from keel_common.http import Schema

IdToken = Annotated[str, Field(max_length=8192)]
Nonce = Annotated[str, Field(max_length=512)]
ProviderName = Annotated[str, Field(max_length=64, pattern=r"^[a-z0-9_-]+$")]


class ProviderPath(Schema):
    provider: ProviderName


class IdentityPath(Schema):
    id: uuid.UUID


class IdTokenBody(Schema):
    id_token: IdToken
    nonce: Nonce
    #: Apple gives the app the user's name on the first sign-in only; send it then.
    name: str | None = Field(default=None, max_length=200)


class LinkIdentityBody(Schema):
    provider: ProviderName
    id_token: IdToken
    nonce: Nonce


class AuthorizeQuery(Schema):
    redirect_uri: str = Field(max_length=2048)


class ExchangeBody(Schema):
    code: str = Field(max_length=256)


class IdentityOut(BaseModel):
    id: uuid.UUID
    provider: str
    email: str | None
    created_at: datetime

    @classmethod
    def of(cls, identity: Identity) -> IdentityOut:
        created = identity.created_at
        if created.tzinfo is None:  # SQLite hands back naive UTC values
            created = created.replace(tzinfo=UTC)
        return cls(
            id=identity.id, provider=identity.provider, email=identity.email, created_at=created
        )


class IdentitiesOut(BaseModel):
    identities: list[IdentityOut]
