"""Forgotten passwords through the real HTTP interface."""

from __future__ import annotations

from .conftest import Client

NEW_PASSWORD = "a brand new passphrase"


def forgot(client: Client, email: str = "ada@example.com") -> object:
    return client.post("/v1/auth/password/forgot", {"email": email})


def reset_token(client: Client) -> str:
    return str(client.events("auth.password.reset_requested.v1")[-1]["reset_token"])


def test_forgot_is_202_with_the_same_body_for_unknown_emails(client: Client) -> None:
    client.sign_up()
    known, unknown = forgot(client), forgot(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 202  # type: ignore[attr-defined]
    assert known.json() == unknown.json()  # type: ignore[attr-defined]
    assert len(client.events("auth.password.reset_requested.v1")) == 1


def test_forgot_is_throttled_per_email(client: Client) -> None:
    statuses = [forgot(client).status_code for _ in range(4)]  # type: ignore[attr-defined]
    assert statuses == [202, 202, 202, 429]


def test_reset_sets_the_password_and_revokes_every_session(client: Client) -> None:
    client.sign_up()
    sessions = [client.log_in(), client.log_in()]
    forgot(client)

    response = client.post(
        "/v1/auth/password/reset", {"token": reset_token(client), "password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    for pair in sessions:
        assert client.get("/v1/auth/me", token=pair["access_token"]).status_code == 401
        refresh = client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})
        assert refresh.status_code == 401
    assert client.log_in(password=NEW_PASSWORD)["access_token"]


def test_a_used_reset_token_is_401_and_a_malformed_one_400(client: Client) -> None:
    client.sign_up()
    forgot(client)
    token = reset_token(client)
    body = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/v1/auth/password/reset", body).status_code == 204

    assert client.post("/v1/auth/password/reset", body).status_code == 401
    garbage = {"token": "not-a-token", "password": NEW_PASSWORD}
    assert client.post("/v1/auth/password/reset", garbage).status_code == 400


def test_a_weak_new_password_is_422(client: Client) -> None:
    client.sign_up()
    forgot(client)
    body = {"token": reset_token(client), "password": "password1234"}
    assert client.post("/v1/auth/password/reset", body).status_code == 422
