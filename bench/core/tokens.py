"""Access tokens for the benchmark, signed like keel-auth's (EdDSA, kid) with a throwaway key,
and the JWKS that lets the service under test verify them."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from werkzeug.serving import make_server

KID = "bench-key"


class TokenMint:
    def __init__(self, issuer: str = "keel-auth", audience: str = "keel") -> None:
        self.key = Ed25519PrivateKey.generate()
        self.issuer, self.audience = issuer, audience

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [public | {"kid": KID, "use": "sig", "alg": "EdDSA"}]}

    def token(self, user_id: uuid.UUID) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "sid": str(uuid.uuid4()),
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + timedelta(hours=1),
            "roles": [],
        }
        # ``typ`` as auth sets it (RFC 9068): the verifiers refuse any other token type.
        headers = {"kid": KID, "typ": "at+jwt"}
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers=headers)

    def serve_jwks(self) -> str:
        """Serve the JWKS on a loopback port in a daemon thread; returns its URL."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per JWKS fetch
        app = Flask("bench-jwks")
        app.add_url_rule("/.well-known/jwks.json", "jwks", self.jwks)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
