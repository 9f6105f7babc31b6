"""Native apps sign in with the ID token their provider's SDK returned, against real
providers on loopback; and every forged, stale or replayed token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac as hmac_module
import json
import secrets
import time
import uuid
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..conftest import Client, new_email
from .support import FixtureIssuer, mock_id_token

TOKEN = "/v1/auth/oidc/{}/token"


def sign_in(client: Client, provider: str, id_token: str, nonce: str, **body: Any) -> Any:
    return client.post(TOKEN.format(provider), {"id_token": id_token, "nonce": nonce, **body})


def fresh(issuer: str, email: str, **claims: Any) -> tuple[str, str, str]:
    """A new subject's real ID token: (token, nonce, subject)."""
    nonce, sub = secrets.token_urlsafe(16), f"sub-{uuid.uuid4().hex[:8]}"
    claims = {"email": email, "email_verified": True, "name": "Ada Lovelace", **claims}
    return mock_id_token(issuer, sub, nonce, **claims), nonce, sub


def test_a_new_email_gets_a_verified_account_and_a_token_pair(client: Client, issuer: str) -> None:
    email = new_email()
    id_token, nonce, _ = fresh(issuer, email)

    response = sign_in(client, "mock", id_token, nonce)

    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/v1/auth/me", response.json()["access_token"]).json()
    assert (me["email"], me["email_verified"], me["name"]) == (email, True, "Ada Lovelace")
    assert client.auth.tokens.decode(response.json()["access_token"])["sub"] == me["id"]


def test_the_same_subject_signs_into_the_same_account(client: Client, issuer: str) -> None:
    email = new_email()
    first, nonce, sub = fresh(issuer, email)
    one = client.get("/v1/auth/me", sign_in(client, "mock", first, nonce).json()["access_token"])
    nonce2 = secrets.token_urlsafe(16)
    second = mock_id_token(issuer, sub, nonce2, email=email, email_verified=True)
    two = client.get("/v1/auth/me", sign_in(client, "mock", second, nonce2).json()["access_token"])
    assert one.json()["id"] == two.json()["id"]


def test_a_token_for_another_audience_is_refused(client: Client, issuer: str) -> None:
    nonce = secrets.token_urlsafe(16)
    id_token = mock_id_token(
        issuer,
        "sub-aud",
        nonce,
        client_id="someone-elses-app",
        email=new_email(),
        email_verified=True,
    )
    response = sign_in(client, "mock", id_token, nonce)
    assert response.status_code == 401, response.text
    assert "InvalidAudience" in response.json()["detail"]


def test_a_replayed_id_token_is_refused(client: Client, issuer: str) -> None:
    id_token, nonce, _ = fresh(issuer, new_email())
    assert sign_in(client, "mock", id_token, nonce).status_code == 200
    replay = sign_in(client, "mock", id_token, nonce)
    assert replay.status_code == 401
    assert "used before" in replay.json()["detail"]


def test_a_wrong_nonce_is_refused(client: Client, issuer: str) -> None:
    id_token, _, _ = fresh(issuer, new_email())
    assert sign_in(client, "mock", id_token, "another-nonce").status_code == 401


def test_an_unverified_email_is_refused(client: Client, issuer: str) -> None:
    id_token, nonce, _ = fresh(issuer, new_email(), email_verified=False)
    response = sign_in(client, "mock", id_token, nonce)
    assert response.status_code == 403, response.text


def test_a_token_signed_with_another_key_is_refused(client: Client, issuer: str) -> None:
    """Forged: the provider's claims and key id, signed with a key the provider never had."""
    genuine, nonce, _ = fresh(issuer, new_email())
    claims = jwt.decode(genuine, options={"verify_signature": False})
    header = jwt.get_unverified_header(genuine)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers=header)
    assert sign_in(client, "mock", forged, nonce).status_code == 401


def test_alg_none_and_hmac_with_the_public_key_are_refused(client: Client, issuer: str) -> None:
    genuine, nonce, _ = fresh(issuer, new_email())
    claims = jwt.decode(genuine, options={"verify_signature": False})
    kid = jwt.get_unverified_header(genuine).get("kid")
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": kid} if kid else None)
    # The provider's own public key (from its JWKS) used as an HMAC secret.
    [jwk] = requests.get(f"{issuer}/jwks", timeout=5).json()["keys"]
    public_pem = jwt.PyJWK(jwk, algorithm="RS256").key.public_bytes(*_pem_public_format())
    assert sign_in(client, "mock", unsigned, nonce).status_code == 401
    assert sign_in(client, "mock", _hs256(claims, public_pem, kid), nonce).status_code == 401
    # The genuine token still works: the refusals were for the forgery, not the nonce.
    assert sign_in(client, "mock", genuine, nonce).status_code == 200


def test_a_wrong_issuer_is_refused(client: Client, fixture_issuer: FixtureIssuer) -> None:
    nonce = secrets.token_urlsafe(16)
    hashed = hashlib.sha256(nonce.encode()).hexdigest()
    token = fixture_issuer.sign(iss="https://evil.example.test", nonce=hashed)
    assert sign_in(client, "apple", token, nonce).status_code == 401


def test_an_expired_token_is_refused(client: Client, fixture_issuer: FixtureIssuer) -> None:
    nonce = secrets.token_urlsafe(16)
    hashed = hashlib.sha256(nonce.encode()).hexdigest()
    now = int(time.time())
    token = fixture_issuer.sign(nonce=hashed, iat=now - 7200, exp=now - 3600)
    response = sign_in(client, "apple", token, nonce)
    assert response.status_code == 401
    assert "ExpiredSignature" in response.json()["detail"]


def test_apple_hashed_nonce_string_booleans_relay_email_and_first_name(
    client: Client, fixture_issuer: FixtureIssuer
) -> None:
    nonce = secrets.token_urlsafe(16)
    hashed = hashlib.sha256(nonce.encode()).hexdigest()
    relay = f"{uuid.uuid4().hex[:10]}@privaterelay.appleid.com"
    token = fixture_issuer.sign(
        nonce=hashed, email=relay, email_verified=None, is_private_email="true"
    )
    # The raw nonce itself in the token is not what Apple sends: refused.
    assert sign_in(client, "apple", fixture_issuer.sign(nonce=nonce), nonce).status_code == 401

    response = sign_in(client, "apple", token, nonce, name="Ada Lovelace")

    assert response.status_code == 200, response.text
    me = client.get("/v1/auth/me", response.json()["access_token"]).json()
    assert (me["email"], me["name"], me["email_verified"]) == (relay, "Ada Lovelace", True)
    other_nonce = secrets.token_urlsafe(16)
    other_hashed = hashlib.sha256(other_nonce.encode()).hexdigest()
    string_true = fixture_issuer.sign(nonce=other_hashed, email=new_email(), email_verified="true")
    assert sign_in(client, "apple", string_true, other_nonce).status_code == 200


def test_an_unknown_provider_is_404(client: Client) -> None:
    assert sign_in(client, "nobody", "x.y.z", "n").status_code == 404


def _pem_public_format() -> tuple[Any, Any]:
    return serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo


def _hs256(claims: dict[str, Any], secret: bytes, kid: str | None) -> str:
    """HS256 keyed with a public key (PyJWT refuses to do it, so it is done by hand)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = part(json.dumps(claims).encode())
    signature = hmac_module.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{part(signature)}"
