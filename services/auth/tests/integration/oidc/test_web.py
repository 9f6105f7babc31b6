"""Web apps: authorize -> the provider -> callback -> the app's registered address with a
single-use code -> exchange for the token pair. Real providers on loopback; the test plays
the browser (the provider's redirects point at the public URL, replayed on the live server)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from ..conftest import Client, new_email
from .support import (
    APP_REDIRECT,
    CALLBACK_BASE,
    FixtureIssuer,
    authorize_at_mock,
    put_user,
)

AUTHORIZE = "/v1/auth/oidc/{}/authorize"


def start(client: Client, provider: str, redirect_uri: str = APP_REDIRECT) -> requests.Response:
    return requests.get(
        client.base_url + AUTHORIZE.format(provider),
        params={"redirect_uri": redirect_uri},
        allow_redirects=False,
        timeout=10,
    )


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def callback(client: Client, provider_location: str, method: str = "GET", **form: Any) -> Any:
    """The browser arriving at our callback (the public URL, served by the live server)."""
    assert provider_location.startswith(CALLBACK_BASE), provider_location
    url = client.base_url + provider_location.removeprefix(CALLBACK_BASE)
    return requests.request(method, url, data=form or None, allow_redirects=False, timeout=10)


def through_mock(client: Client, issuer: str, sub: str, **claims: Any) -> requests.Response:
    """The whole browser trip through oidc-provider-mock, up to our callback's answer."""
    put_user(issuer, sub, **claims)
    started = start(client, "mock")
    assert started.status_code == 302, started.text
    return callback(client, authorize_at_mock(started.headers["Location"], sub))


def test_the_web_flow_signs_in_with_a_single_use_code(client: Client, issuer: str) -> None:
    email = new_email()
    started = start(client, "mock")
    sent = query(started.headers["Location"])
    assert started.headers["Location"].startswith(f"{issuer}/oauth2/authorize?")
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["state"] and sent["nonce"] and sent["redirect_uri"].startswith(CALLBACK_BASE)

    put_user(issuer, "web-sub", email=email, email_verified=True)
    answer = callback(client, authorize_at_mock(started.headers["Location"], "web-sub"))

    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(APP_REDIRECT + "?") and set(query(location)) == {"code"}
    assert "access_token" not in location and "id_token" not in location
    code = query(location)["code"]
    pair = client.post("/v1/auth/oidc/exchange", {"code": code})
    assert pair.status_code == 200, pair.text
    me = client.get("/v1/auth/me", pair.json()["access_token"]).json()
    assert (me["email"], me["email_verified"]) == (email, True)
    replay = client.post("/v1/auth/oidc/exchange", {"code": code})
    assert replay.status_code == 401


def test_an_unregistered_redirect_uri_is_refused_before_any_redirect(client: Client) -> None:
    for uri in ("https://evil.example.test/steal", APP_REDIRECT + "/../x", APP_REDIRECT + "?a=1"):
        response = start(client, "mock", uri)
        assert response.status_code == 400, response.text
        assert "Location" not in response.headers


def test_a_state_works_once_and_only_with_its_provider(client: Client, issuer: str) -> None:
    put_user(issuer, "state-sub", email=new_email(), email_verified=True)
    started = start(client, "mock")
    provider_redirect = authorize_at_mock(started.headers["Location"], "state-sub")
    forged = callback(client, f"{CALLBACK_BASE}/v1/auth/oidc/mock/callback?state=made-up&code=x")
    assert forged.status_code == 400 and "Location" not in forged.headers
    other = provider_redirect.replace("/oidc/mock/", "/oidc/apple/")
    assert callback(client, other).status_code == 400

    assert callback(client, provider_redirect).status_code == 302
    again = callback(client, provider_redirect)
    assert again.status_code == 400 and "Location" not in again.headers


def test_an_unverified_email_comes_back_as_an_error_without_a_code(
    client: Client, issuer: str
) -> None:
    answer = through_mock(client, issuer, "unverified-sub", email=new_email(), email_verified=False)
    assert answer.status_code == 302
    assert query(answer.headers["Location"]) == {"error": "email_not_verified"}


def test_apple_web_flow_posts_the_form_and_authenticates_with_a_team_key_jwt(
    client: Client, fixture_issuer: FixtureIssuer
) -> None:
    started = start(client, "apple")
    sent = query(started.headers["Location"])
    assert sent["response_mode"] == "form_post" and sent["client_id"] == "com.example.app"
    email = new_email()
    # Apple puts in the token the nonce it was sent (the hash of ours, as its SDKs do).
    fixture_issuer.next_id_token = fixture_issuer.sign(
        nonce=sent["nonce"], email=email, email_verified="true"
    )
    user = json.dumps({"name": {"firstName": "Ada", "lastName": "Lovelace"}, "email": email})
    path = f"{CALLBACK_BASE}/v1/auth/oidc/apple/callback"
    answer = callback(client, path, "POST", state=sent["state"], code="apple-code", user=user)

    assert answer.status_code == 302, answer.text
    pair = client.post(
        "/v1/auth/oidc/exchange", {"code": query(answer.headers["Location"])["code"]}
    )
    me = client.get("/v1/auth/me", pair.json()["access_token"]).json()
    assert (me["email"], me["name"]) == (email, "Ada Lovelace")
    secret = fixture_issuer.client_secrets[-1]
    header = jwt.get_unverified_header(secret)
    claims = jwt.decode(secret, options={"verify_signature": False})
    assert (header["alg"], header["kid"], claims["iss"]) == ("ES256", "KEY1234567", "TEAM123456")
    assert claims["exp"] - claims["iat"] <= 600
    assert len(sent["nonce"]) == len(hashlib.sha256().hexdigest())  # Apple gets the hash


def test_apple_token_endpoint_refuses_a_client_secret_of_another_key(
    client: Client, fixture_issuer: FixtureIssuer
) -> None:
    """The fixture checks Apple's rule; this shows the check is real (the flow ends in an
    error for the app, not in a session)."""
    real = fixture_issuer.apple_key
    fixture_issuer.apple_key = ec.generate_private_key(ec.SECP256R1())
    try:
        sent = query(start(client, "apple").headers["Location"])
        path = f"{CALLBACK_BASE}/v1/auth/oidc/apple/callback"
        answer = callback(client, path, "POST", state=sent["state"], code=str(uuid.uuid4()))
    finally:
        fixture_issuer.apple_key = real
    assert query(answer.headers["Location"]) == {"error": "invalid_id_token"}
