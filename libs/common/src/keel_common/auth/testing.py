"""Real signed tokens for tests, without a running auth service.

``SigningKeys`` holds Ed25519 keys like keel-auth does and mints access tokens with its
claims; ``StaticJwksClient`` hands its JWKS to ``JwksTokenVerifier`` without HTTP::

    keys = SigningKeys()
    verifier = JwksTokenVerifier("http://unused", "keel-auth", "keel", InMemoryRevocationList(),
                                 jwks_client=StaticJwksClient(keys))
    principal = verifier.verify(keys.token(user_id=uuid.uuid4(), roles=["admin"]))
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from keel_common.auth.jwks import ACCESS_TOKEN_TYPE, ALGORITHM


class SigningKeys:
    """Ed25519 keys by ``kid``; the newest signs, all are published."""

    def __init__(self, issuer: str = "keel-auth", audience: str = "keel") -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys: dict[str, Ed25519PrivateKey] = {}
        self.current_kid = self.rotate()

    def rotate(self) -> str:
        """Add a key that signs from now on; earlier keys stay in the JWKS."""
        kid = uuid.uuid4().hex
        self.keys[kid] = Ed25519PrivateKey.generate()
        self.current_kid = kid
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": keys}

    def claims(
        self,
        user_id: uuid.UUID | None = None,
        roles: Iterable[str] = ("user",),
        session_id: uuid.UUID | None = None,
        ttl: int = 900,
        amr: Iterable[str] = ("pwd",),
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id or uuid.uuid4()),
            "sid": str(session_id or uuid.uuid4()),
            "roles": list(roles),
            "amr": list(amr),
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        kid = kid or self.current_kid
        headers = {"kid": kid, "typ": ACCESS_TOKEN_TYPE}
        return jwt.encode(claims, self.keys[kid], algorithm=ALGORITHM, headers=headers)

    def token(self, **claims: Any) -> str:
        """A valid access token; keyword arguments as for ``claims``."""
        return self.sign(self.claims(**claims))


class StaticJwksClient(jwt.PyJWKClient):
    """A ``PyJWKClient`` whose "download" returns the current JWKS of ``keys``."""

    def __init__(self, keys: SigningKeys, **options: Any) -> None:
        super().__init__("http://jwks.invalid/.well-known/jwks.json", **options)
        self.signing_keys = keys
        self.fetches = 0

    def fetch_data(self) -> Any:
        self.fetches += 1
        self._last_successful_fetch = time.monotonic()  # what the real download records
        return self.signing_keys.jwks()
