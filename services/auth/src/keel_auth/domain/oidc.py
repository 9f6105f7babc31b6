"""Sign-in through OpenID Connect providers: what an ID token says about a person, the
identities linking a provider's subject to a Keel account, and the rules on both.

Plain Python; the signature, issuer, audience and lifetime of a token are checked by the
adapter that fetched the provider's keys (``keel_auth.adapters.oidc``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel_auth.domain.errors import AuthError


class UnknownProvider(AuthError):
    """No provider of this name is configured (404)."""


class InvalidIdToken(AuthError):
    """An ID token whose signature, issuer, audience, lifetime or nonce is wrong (401)."""


class ProviderUnavailable(AuthError):
    """The provider's discovery document or keys cannot be fetched (503)."""


class IdentityEmailNotVerified(AuthError):
    """The provider does not vouch for the email address (403)."""


class AccountExists(AuthError):
    """A verified Keel account has this email: linking needs proof of control (409)."""


class RedirectUriNotAllowed(AuthError):
    """A ``redirect_uri`` that is not on the allowlist (400); nothing redirects there."""


class InvalidSignInState(AuthError):
    """An unknown, used or expired ``state`` or exchange code (400/401)."""


class LastSignInMethod(AuthError):
    """Unlinking would leave the account with no way to sign in (409)."""


class IdentityNotFound(AuthError):
    """No identity of the caller with this id (404)."""


@dataclass(frozen=True)
class IdentityClaims:
    """The verified claims of an ID token that matter to Keel."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    nonce: str | None
    expires_at: datetime
    name: str | None = None

    @classmethod
    def of(cls, provider: str, claims: dict[str, Any], expires_at: datetime) -> IdentityClaims:
        email = claims.get("email")
        return cls(
            provider=provider,
            subject=str(claims["sub"]),
            email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
            email_verified=_vouched(claims),
            nonce=claims.get("nonce") if isinstance(claims.get("nonce"), str) else None,
            expires_at=expires_at,
            name=_name(claims.get("name")),
        )


def _vouched(claims: dict[str, Any]) -> bool:
    """Apple sends booleans as strings ("true"), and its private-relay addresses are
    addresses Apple itself delivers to, so they count as verified."""
    return _true(claims.get("email_verified")) or _true(claims.get("is_private_email"))


def _true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip()[:200] or None


def expected_nonce(raw: str, hashed: bool) -> str:
    """The ``nonce`` claim a provider puts in the ID token for the app's ``raw`` nonce:
    Apple's SDKs send it the SHA-256 (hex) of the nonce, others the nonce itself."""
    return hashlib.sha256(raw.encode()).hexdigest() if hashed else raw


def nonce_matches(claims: IdentityClaims, raw: str, hashed: bool) -> bool:
    if not raw or claims.nonce is None:
        return False
    return hmac.compare_digest(claims.nonce, expected_nonce(raw, hashed))


def derived(state: str, purpose: str) -> str:
    """A value only the holder of ``state`` can compute (PKCE verifier, nonce): nothing but
    the state's hash needs storing, and a reader of the database learns neither."""
    digest = hmac.new(state.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def apple_name(user_field: str | None) -> str | None:
    """The name in the ``user`` JSON Apple posts on the first sign-in only."""
    if not user_field:
        return None
    try:
        name = json.loads(user_field).get("name") or {}
        parts = [name.get("firstName"), name.get("lastName")]
    except (ValueError, AttributeError):
        return None
    return _name(" ".join(part for part in parts if isinstance(part, str)))


class Identity:
    """A provider's subject linked to a Keel account."""

    def __init__(
        self, provider: str, subject: str, user_id: uuid.UUID, email: str | None, now: datetime
    ) -> None:
        self.id = uuid.uuid4()
        self.provider = provider
        self.subject = subject
        self.user_id = user_id
        self.email = email
        self.created_at = now


class OidcState:
    """A web sign-in under way: bound to its ``state`` (stored hashed), single use."""

    def __init__(
        self, provider: str, redirect_uri: str, state_hash: str, now: datetime, expires: datetime
    ) -> None:
        self.id = uuid.uuid4()
        self.provider = provider
        self.redirect_uri = redirect_uri
        self.state_hash = state_hash
        self.created_at = now
        self.expires_at = expires
        self.used_at: datetime | None = None


@dataclass(frozen=True)
class SignInWithIdToken:
    """A native app's sign-in: the ID token its provider SDK returned, and the nonce."""

    provider: str
    id_token: str
    nonce: str
    #: Apple sends the name to the app on the first sign-in only, never in the token.
    name: str | None = None


@dataclass(frozen=True)
class BeginWebSignIn:
    provider: str
    redirect_uri: str


@dataclass(frozen=True)
class FinishWebSignIn:
    """What the provider sent the browser back with (query or, for Apple, a form)."""

    provider: str
    state: str
    code: str | None
    error: str | None = None
    apple_user: str | None = None
