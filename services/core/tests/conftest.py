"""Fixtures shared by the core service's integration and end-to-end tests: real access tokens.

Tokens are EdDSA JWTs signed by a test key whose JWKS is served on loopback, checked by the
production ``JwksTokenVerifier``, so the authentication path is the one users hit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from keel_common.testing import live_server

ISSUER, AUDIENCE, KID = "keel-auth", "keel", "test-key"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture
def migrations_dir() -> Path:
    return MIGRATIONS


@dataclass
class TokenMint:
    """Signs access tokens the way keel-auth does (EdDSA, kid, iss, aud, sub, sid, jti)."""

    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [public | {"kid": KID, "use": "sig", "alg": "EdDSA"}]}

    def token(self, user_id: uuid.UUID, roles: tuple[str, ...] = (), **claims: Any) -> str:
        now = datetime.now(UTC)
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "sid": str(uuid.uuid4()),
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + timedelta(minutes=15),
            "roles": list(roles),
        } | claims
        return jwt.encode(
            payload, self.key, algorithm="EdDSA", headers={"kid": KID, "typ": "at+jwt"}
        )


@pytest.fixture(scope="session")
def mint() -> TokenMint:
    return TokenMint()


@pytest.fixture(scope="session")
def jwks_url(mint: TokenMint) -> Iterator[str]:
    app = Flask("jwks")
    app.add_url_rule("/.well-known/jwks.json", "jwks", lambda: mint.jwks())
    with live_server(app) as base:
        yield f"{base}/.well-known/jwks.json"


@dataclass
class User:
    id: uuid.UUID
    headers: dict[str, str]


@pytest.fixture
def new_user(mint: TokenMint) -> Callable[..., User]:
    def _new_user(*roles: str) -> User:
        user_id = uuid.uuid4()
        return User(user_id, {"Authorization": f"Bearer {mint.token(user_id, roles)}"})

    return _new_user


@pytest.fixture
def seller(new_user: Callable[..., User]) -> User:
    return new_user()


@pytest.fixture
def buyer(new_user: Callable[..., User]) -> User:
    return new_user()


@pytest.fixture
def admin(new_user: Callable[..., User]) -> User:
    return new_user("admin")
