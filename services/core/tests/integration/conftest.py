"""The core HTTP API on a real socket, over real databases, with real access tokens.

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
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from keel_common.auth import InMemoryRevocationList, JwksTokenVerifier
from keel_common.db.alembic import upgrade
from keel_common.discovery import FakeDiscovery
from keel_common.testing import live_server
from keel_core.bootstrap import Core, bootstrap
from keel_core.config import CoreSettings
from keel_core.entrypoints.flask_app import create_app

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
ISSUER, AUDIENCE, KID = "keel-auth", "keel", "test-key"


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
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": KID})


@pytest.fixture(scope="session")
def mint() -> TokenMint:
    return TokenMint()


@pytest.fixture(scope="session")
def jwks_url(mint: TokenMint) -> Iterator[str]:
    app = Flask("jwks")
    app.add_url_rule("/.well-known/jwks.json", "jwks", lambda: mint.jwks())
    with live_server(app) as base:
        yield f"{base}/.well-known/jwks.json"


@pytest.fixture
def migrations_dir() -> Path:
    return MIGRATIONS


@pytest.fixture
def migrated(database_url: str) -> str:
    """The database, brought to the newest migration (the schema the service runs on)."""
    upgrade(database_url, MIGRATIONS)
    return database_url


@pytest.fixture
def wired(migrated: str, jwks_url: str, tmp_path: Path) -> Iterator[Core]:
    settings = CoreSettings(database_url=migrated, jwks_url=jwks_url, outbox_dir=tmp_path)
    verifier = JwksTokenVerifier(jwks_url, ISSUER, AUDIENCE, InMemoryRevocationList())
    core = bootstrap(settings, verifier=verifier, discovery=FakeDiscovery())
    yield core
    core.engine.dispose()


@pytest.fixture
def api(wired: Core) -> Iterator[str]:
    """Base URL of the core HTTP API served on a free loopback port."""
    with live_server(create_app(wired)) as base:
        yield base


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


def product_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Walnut desk",
        "description": "Solid walnut, 140 cm",
        "price_cents": 45_000,
        "currency": "EUR",
        "category": "furniture",
        "stock": 3,
    }
    return body | overrides


@pytest.fixture
def create_product(api: str, seller: User) -> Callable[..., dict[str, Any]]:
    """POST a product (as ``seller`` unless ``owner=``) and return its JSON."""

    def _create(owner: User | None = None, **overrides: Any) -> dict[str, Any]:
        response = requests.post(
            f"{api}/v1/products",
            json=product_body(**overrides),
            headers=(owner or seller).headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return _create


@pytest.fixture
def valid_product_body() -> dict[str, Any]:
    return product_body()
