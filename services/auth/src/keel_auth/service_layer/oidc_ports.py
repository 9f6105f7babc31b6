"""Ports of sign-in with OpenID Connect: the identities and web sign-ins we store, and the
identity providers we talk to. Adapters implement them; unit tests use the Fake* ones."""

from __future__ import annotations

import abc
import uuid
from datetime import datetime

from keel_auth.domain.oidc import Identity, IdentityClaims, OidcState


class IdentityRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, identity: Identity) -> None: ...

    @abc.abstractmethod
    def get(self, identity_id: uuid.UUID) -> Identity | None: ...

    @abc.abstractmethod
    def get_by_subject(self, provider: str, subject: str) -> Identity | None: ...

    @abc.abstractmethod
    def for_user(self, user_id: uuid.UUID) -> list[Identity]:
        """The user's identities, oldest first."""

    @abc.abstractmethod
    def remove(self, identity: Identity) -> None: ...


class OidcStateRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, state: OidcState) -> None: ...

    @abc.abstractmethod
    def get_by_hash(self, state_hash: str) -> OidcState | None: ...

    @abc.abstractmethod
    def use(self, state: OidcState, now: datetime) -> bool:
        """Mark the state used unless it already was, atomically (two callbacks racing with
        one state: exactly one wins)."""

    @abc.abstractmethod
    def claim_nonce(self, provider: str, nonce_hash: str, expires_at: datetime) -> bool:
        """Record an ID token's nonce as spent until ``expires_at``; False if it already was
        (a replayed token), atomically."""


class IdentityProviders(abc.ABC):
    """The configured OpenID Connect providers (Google, Apple, any issuer)."""

    @abc.abstractmethod
    def verify_id_token(self, provider: str, id_token: str) -> IdentityClaims:
        """The claims of ``id_token`` once its signature (the provider's JWKS), issuer,
        audience and lifetime are checked; ``InvalidIdToken`` or ``UnknownProvider``."""

    @abc.abstractmethod
    def nonce_hashed(self, provider: str) -> bool:
        """Whether the provider puts the SHA-256 of the nonce in the token (Apple)."""

    @abc.abstractmethod
    def redirect_allowed(self, provider: str, redirect_uri: str) -> bool:
        """Whether ``redirect_uri`` is a registered app address (exact match)."""

    @abc.abstractmethod
    def authorization_url(self, provider: str, state: str, nonce: str, code_challenge: str) -> str:
        """Where to send the browser: the provider's authorization endpoint with PKCE."""

    @abc.abstractmethod
    def redeem_code(self, provider: str, code: str, code_verifier: str) -> str:
        """Exchange an authorization code at the token endpoint; the ID token it returned
        (not yet verified). ``InvalidIdToken`` if the provider refuses."""
