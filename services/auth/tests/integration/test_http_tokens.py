"""Attacks on access tokens through GET /v1/auth/me: each must end in a 401 problem."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .conftest import Client


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def token(client: Client) -> str:
    client.sign_up()
    return str(client.log_in()["access_token"])


def claims_of(token: str) -> dict:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def assert_refused(client: Client, token: str | None) -> None:
    response = client.get("/v1/auth/me", token=token)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_access_token_carries_the_documented_claims(client: Client, token: str) -> None:
    header = jwt.get_unverified_header(token)
    claims = claims_of(token)
    assert header["alg"] == "EdDSA"
    assert set(claims) >= {"iss", "aud", "sub", "sid", "roles", "iat", "exp", "jti"}
    assert (claims["iss"], claims["aud"]) == ("keel-auth", "keel")
    assert claims["exp"] - claims["iat"] == 900


def test_no_token_is_refused(client: Client) -> None:
    assert_refused(client, None)


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30."])
def test_a_malformed_token_is_refused(client: Client, garbage: str) -> None:
    assert_refused(client, garbage)


def test_alg_none_is_refused(client: Client, token: str) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": kid_of(token)}
    assert_refused(client, f"{b64(header)}.{b64(claims_of(token))}.")


def test_hs256_signed_with_the_public_key_is_refused(client: Client, token: str) -> None:
    public_x = client.get("/.well-known/jwks.json").json()["keys"][0]["x"]
    header = {"alg": "HS256", "typ": "JWT", "kid": kid_of(token)}
    signing_input = f"{b64(header)}.{b64(claims_of(token))}"
    mac = hmac.new(public_x.encode(), signing_input.encode(), hashlib.sha256).digest()
    assert_refused(client, f"{signing_input}.{b64(mac)}")


def test_a_token_signed_with_another_key_is_refused(client: Client, token: str) -> None:
    forged = jwt.encode(
        {**claims_of(token), "roles": ["admin"]},
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": kid_of(token), "typ": "at+jwt"},
    )
    assert_refused(client, forged)


def test_an_unknown_kid_is_refused(client: Client, token: str) -> None:
    key = Ed25519PrivateKey.generate()
    forged = jwt.encode(
        claims_of(token), key, algorithm="EdDSA", headers={"kid": "unknown", "typ": "at+jwt"}
    )
    assert_refused(client, forged)


def test_an_expired_token_is_refused(client: Client, token: str) -> None:
    key = client.auth.keys.current()
    expired = {**claims_of(token), "iat": int(time.time()) - 1000, "exp": int(time.time()) - 60}
    forged = jwt.encode(
        expired, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": "at+jwt"}
    )
    assert_refused(client, forged)


@pytest.mark.parametrize(("claim", "value"), [("iss", "evil"), ("aud", "other-service")])
def test_a_wrong_issuer_or_audience_is_refused(
    client: Client, token: str, claim: str, value: str
) -> None:
    key = client.auth.keys.current()
    forged = jwt.encode(
        {**claims_of(token), claim: value}, key.private_key, algorithm="EdDSA",
        headers={"kid": key.kid, "typ": "at+jwt"},
    )  # fmt: skip
    assert_refused(client, forged)


@pytest.mark.parametrize("typ", [None, "JWT", "id+jwt"])
def test_a_jwt_not_typed_as_an_access_token_is_refused(
    client: Client, token: str, typ: str | None
) -> None:
    key = client.auth.keys.current()
    headers = {"kid": key.kid, **({"typ": typ} if typ else {})}
    forged = jwt.encode(claims_of(token), key.private_key, algorithm="EdDSA", headers=headers)
    if typ is None:  # PyJWT adds "typ": "JWT" unless told not to
        forged = jwt.api_jws.encode(
            json.dumps(claims_of(token)).encode(), key.private_key, algorithm="EdDSA",
            headers={"kid": key.kid, "typ": None},
        )  # fmt: skip
    assert jwt.get_unverified_header(forged).get("typ") == typ
    assert_refused(client, forged)


def test_issued_tokens_are_typed_as_access_tokens(token: str) -> None:
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"


def test_a_token_of_a_logged_out_session_is_refused(client: Client, token: str) -> None:
    assert client.post("/v1/auth/logout", {}, token=token).status_code == 204
    assert_refused(client, token)


def test_after_key_rotation_old_and_new_tokens_both_work(client: Client, token: str) -> None:
    client.auth.keys.rotate(publish_ahead=timedelta(0))
    new_token = client.log_in()["access_token"]

    assert kid_of(new_token) != kid_of(token)
    assert len(client.get("/.well-known/jwks.json").json()["keys"]) == 2
    for each in (token, new_token):
        assert client.get("/v1/auth/me", token=each).status_code == 200


def test_a_token_for_a_deleted_account_id_is_refused(client: Client, token: str) -> None:
    key = client.auth.keys.current()
    stranger = {**claims_of(token), "sub": str(uuid.uuid4())}
    forged = jwt.encode(
        stranger, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": "at+jwt"}
    )
    assert_refused(client, forged)
