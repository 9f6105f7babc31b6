"""The one way every Keel service authenticates callers (tokens issued by keel-auth).

- ``Principal``, ``TokenVerifier``, ``InvalidToken``: the port and its value.
- ``JwksTokenVerifier``: production verifier (EdDSA JWT, JWKS cached, revocations checked).
- ``FakeTokenVerifier``: for unit tests.
- ``RevocationList`` and ``create_revocation_list(redis_url)``: the shared session denylist.
- ``install_token_verifier`` / ``require_principal``: Flask; ``principal_from_context``:
  gRPC servers; ``bearer_metadata``: gRPC clients.
- ``create_token_verifier(...)``: the composition-root one-liner.
"""

from __future__ import annotations

from pathlib import Path

from keel_common.auth.flask_bearer import install_token_verifier, require_principal
from keel_common.auth.grpc_bearer import bearer_metadata, principal_from_context
from keel_common.auth.jwks import (
    ACCESS_TOKEN_TYPE,
    ALGORITHM,
    DEFAULT_LEEWAY,
    JwksTokenVerifier,
    VerifiedTokens,
    decode_access_token,
    principal_from_claims,
)
from keel_common.auth.principal import FakeTokenVerifier, InvalidToken, Principal, TokenVerifier
from keel_common.auth.revocation import (
    DEFAULT_REVOCATIONS_PATH,
    InMemoryRevocationList,
    RedisRevocationList,
    RevocationList,
    SqliteRevocationList,
    create_revocation_list,
)

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ALGORITHM",
    "DEFAULT_LEEWAY",
    "DEFAULT_REVOCATIONS_PATH",
    "FakeTokenVerifier",
    "InMemoryRevocationList",
    "InvalidToken",
    "JwksTokenVerifier",
    "Principal",
    "RedisRevocationList",
    "RevocationList",
    "SqliteRevocationList",
    "TokenVerifier",
    "VerifiedTokens",
    "bearer_metadata",
    "create_revocation_list",
    "create_token_verifier",
    "decode_access_token",
    "install_token_verifier",
    "principal_from_claims",
    "principal_from_context",
    "require_principal",
]


def create_token_verifier(
    *,
    jwks_url: str,
    issuer: str,
    audience: str,
    redis_url: str | None,
    revocations_path: str | Path = DEFAULT_REVOCATIONS_PATH,
) -> JwksTokenVerifier:
    """The verifier for a service's settings (``JWKS_URL``, ``JWT_ISSUER``, ``JWT_AUDIENCE``,
    ``REDIS_URL``); opens no connection until the first token is verified."""
    return JwksTokenVerifier(
        jwks_url, issuer, audience, create_revocation_list(redis_url, revocations_path)
    )
