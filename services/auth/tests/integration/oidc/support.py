"""Identity providers on loopback for the OIDC tests.

``mock_provider`` runs oidc-provider-mock (PyPI) in its own process: a real OpenID provider
with discovery, JWKS, authorization and token endpoints that signs real RS256 ID tokens.
``FixtureIssuer`` is a small real server whose key the test holds, for the tokens no honest
provider issues (expired, wrong issuer, Apple's string booleans and hashed nonce) and for
Apple's token endpoint, which checks the ES256 client secret."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask, jsonify, request
from jwt.algorithms import RSAAlgorithm

from keel_common.testing import eventually, free_port

APP_CLIENT_ID = "keel-app"
APP_REDIRECT = "https://app.example.test/signed-in"
CALLBACK_BASE = "https://api.example.test"
APPLE_CLIENT_ID = "com.example.app"


@contextmanager
def mock_provider() -> Iterator[str]:
    """oidc-provider-mock on a free loopback port; yields its issuer URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _answers(base), "oidc-provider-mock to listen", timeout=120)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/.well-known/openid-configuration", timeout=2).ok
    except requests.ConnectionError:
        return False


def put_user(issuer: str, sub: str, **claims: Any) -> None:
    response = requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5)
    assert response.status_code == 204, response.text


def authorize_at_mock(authorization_url: str, sub: str) -> str:
    """What the user does at the provider: picks the account; the provider's redirect."""
    response = requests.post(authorization_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return str(response.headers["Location"])


def mock_id_token(
    issuer: str, sub: str, nonce: str, client_id: str = APP_CLIENT_ID, **claims: Any
) -> str:
    """What a native app's SDK gets from the provider: a real ID token for ``nonce``."""
    put_user(issuer, sub, **claims)
    redirect_uri = "com.example.app:/oauth"
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "nonce": nonce,
        "state": "native",
    }
    authorize = requests.Request("GET", f"{issuer}/oauth2/authorize", params=query).prepare()
    location = authorize_at_mock(str(authorize.url), sub)
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": "native-apps-have-none",
    }
    response = requests.post(f"{issuer}/oauth2/token", data=form, timeout=5)
    assert response.status_code == 200, response.text
    return str(response.json()["id_token"])


class FixtureIssuer:
    """Discovery, JWKS and a token endpoint for an issuer whose signing key the test holds."""

    kid = "fixture-key"

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.apple_key = ec.generate_private_key(ec.SECP256R1())
        self.base = ""
        self.next_id_token: str | None = None
        self.client_secrets: list[str] = []
        self.jwks_fetches = 0

    @property
    def apple_key_pem(self) -> str:
        return self.apple_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def app(self) -> Flask:
        app = Flask("fixture-issuer")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(
                issuer=self.base,
                authorization_endpoint=f"{self.base}/authorize",
                token_endpoint=f"{self.base}/token",
                jwks_uri=f"{self.base}/jwks",
            )

        @app.get("/jwks")
        def jwks() -> Any:
            self.jwks_fetches += 1
            public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return jsonify(keys=[{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}])

        @app.post("/token")
        def token() -> Any:
            # Apple's rule: the client secret is an ES256 JWT of the team's key.
            secret = request.form.get("client_secret", "")
            try:
                jwt.decode(
                    secret,
                    self.apple_key.public_key(),
                    algorithms=["ES256"],
                    audience=self.base,
                    subject=request.form.get("client_id"),
                )
            except jwt.PyJWTError:
                return jsonify(error="invalid_client"), 401
            self.client_secrets.append(secret)
            return jsonify(id_token=self.next_id_token, token_type="Bearer", access_token="x")

        return app

    def sign(self, key: Any = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.base,
            "aud": APPLE_CLIENT_ID,
            "sub": f"fixture-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "exp": now + 600,
            "email": "ada@example.com",
            "email_verified": True,
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(
            payload,
            key or self.key,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )
