"""Passkeys over HTTP, with a software authenticator: registration while signed in, sign-in
with a discoverable credential (no username), listing and removing, and the attacks."""

from __future__ import annotations

from typing import Any

from .conftest import Client, new_email
from .mfa_support import delete
from .webauthn_device import SoftAuthenticator


def register(client: Client, token: str, device: SoftAuthenticator, **create: Any) -> Any:
    options = client.post("/v1/auth/passkeys/register/options", token=token)
    assert options.status_code == 200, options.text
    assert options.json()["authenticatorSelection"]["userVerification"] == "required"
    credential = device.create(options.json(), **create)
    body = {"credential": credential, "name": "laptop"}
    return client.post("/v1/auth/passkeys/register/verify", body, token)


def sign_in(client: Client, device: SoftAuthenticator, **get: Any) -> Any:
    options = client.post("/v1/auth/passkeys/login/options")
    assert options.status_code == 200, options.text
    assert options.json().get("allowCredentials", []) == []  # discoverable: no user named
    credential = device.get(options.json(), **get)
    return client.post("/v1/auth/passkeys/login/verify", {"credential": credential})


def signed_in_with_passkey(client: Client) -> tuple[str, SoftAuthenticator]:
    client.sign_up()
    token = client.log_in()["access_token"]
    device = SoftAuthenticator()
    assert register(client, token, device).status_code == 201
    return token, device


def test_a_registered_passkey_signs_in_with_two_factors(client: Client) -> None:
    token, device = signed_in_with_passkey(client)
    listed = client.get("/v1/auth/passkeys", token).json()["passkeys"]
    assert [p["name"] for p in listed] == ["laptop"]

    pair = sign_in(client, device)
    assert pair.status_code == 200, pair.text
    claims = client.auth.tokens.decode(pair.json()["access_token"])
    assert claims["amr"] == ["hwk", "mfa", "user"]
    me = client.get("/v1/auth/me", pair.json()["access_token"]).json()
    assert me["email"] == "ada@example.com"


def test_a_signed_answer_is_accepted_once(client: Client) -> None:
    client.sign_up()
    device = SoftAuthenticator(counting=False)  # the counter cannot tell a replay here
    assert register(client, client.log_in()["access_token"], device).status_code == 201
    options = client.post("/v1/auth/passkeys/login/options").json()
    credential = device.get(options)
    body = {"credential": credential}
    assert client.post("/v1/auth/passkeys/login/verify", body).status_code == 200
    assert client.post("/v1/auth/passkeys/login/verify", body).status_code == 401


def test_a_signature_counter_going_back_is_refused(client: Client) -> None:
    _, device = signed_in_with_passkey(client)
    assert sign_in(client, device).status_code == 200
    assert sign_in(client, device).status_code == 200
    device.sign_count = 0  # a clone of the authenticator as it was before
    assert sign_in(client, device).status_code == 401


def test_user_verification_is_required(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]
    assert register(client, token, SoftAuthenticator(), user_verified=False).status_code == 400
    _, device = signed_in_with_passkey_of(client, token)
    assert sign_in(client, device, user_verified=False).status_code == 401


def signed_in_with_passkey_of(client: Client, token: str) -> tuple[str, SoftAuthenticator]:
    device = SoftAuthenticator()
    assert register(client, token, device).status_code == 201
    return token, device


def test_an_answer_from_another_origin_is_refused(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]
    assert register(client, token, SoftAuthenticator("https://evil.example")).status_code == 400


def test_an_unknown_passkey_does_not_sign_in(client: Client) -> None:
    signed_in_with_passkey(client)
    assert sign_in(client, SoftAuthenticator()).status_code == 401


def test_only_the_owner_can_remove_a_passkey(client: Client) -> None:
    token, device = signed_in_with_passkey(client)
    [passkey] = client.get("/v1/auth/passkeys", token).json()["passkeys"]
    other = new_email()
    client.sign_up(other)
    stranger = client.log_in(other)["access_token"]

    assert delete(client, f"/v1/auth/passkeys/{passkey['id']}", stranger).status_code == 404
    assert delete(client, f"/v1/auth/passkeys/{passkey['id']}", token).status_code == 204
    assert client.get("/v1/auth/passkeys", token).json()["passkeys"] == []
    assert sign_in(client, device).status_code == 401
