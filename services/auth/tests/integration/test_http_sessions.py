"""Login, refresh rotation with reuse detection, logout — through the real HTTP interface."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from keel_common.auth import InvalidToken, create_token_verifier

from .conftest import PASSWORD, Client


def test_login_returns_a_token_pair(client: Client) -> None:
    client.sign_up()
    response = client.post("/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 200
    pair = response.json()
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (pair["token_type"], pair["expires_in"]) == ("Bearer", 900)


def test_wrong_password_and_unknown_email_get_the_same_401(client: Client) -> None:
    client.sign_up()
    wrong = client.post("/v1/auth/login", {"email": "ada@example.com", "password": "x" * 20})
    unknown = client.post("/v1/auth/login", {"email": "bob@example.com", "password": PASSWORD})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["Content-Type"] == "application/problem+json"


def test_failed_logins_are_counted_for_the_brute_force_alert(client: Client) -> None:
    client.sign_up()
    before = REGISTRY.get_sample_value("keel_auth_login_failures_total") or 0.0
    client.post("/v1/auth/login", {"email": "ada@example.com", "password": "x" * 20})
    client.post("/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    assert REGISTRY.get_sample_value("keel_auth_login_failures_total") == before + 1


def test_ten_failures_throttle_the_account_with_retry_after(client: Client) -> None:
    client.sign_up()
    for _ in range(10):
        bad = client.post("/v1/auth/login", {"email": "ada@example.com", "password": "x" * 20})
        assert bad.status_code == 401

    response = client.post("/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 600
    assert response.headers["Content-Type"] == "application/problem+json"


def test_refresh_returns_a_new_pair_and_spends_the_old_token(client: Client) -> None:
    client.sign_up()
    first = client.log_in()

    response = client.post("/v1/auth/refresh", {"refresh_token": first["refresh_token"]})

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/v1/auth/me", token=second["access_token"]).status_code == 200


def test_reusing_a_refresh_token_revokes_the_whole_family(client: Client) -> None:
    user = client.sign_up()
    first = client.log_in()
    second = client.post("/v1/auth/refresh", {"refresh_token": first["refresh_token"]}).json()

    replay = client.post("/v1/auth/refresh", {"refresh_token": first["refresh_token"]})

    assert replay.status_code == 401
    newest = client.post("/v1/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert newest.status_code == 401
    assert client.get("/v1/auth/me", token=second["access_token"]).status_code == 401
    [event] = client.events("auth.security.token_reuse_detected.v1")
    assert (event["user_id"], event["email"]) == (user["id"], "ada@example.com")


def test_an_unknown_refresh_token_is_401(client: Client) -> None:
    assert client.post("/v1/auth/refresh", {"refresh_token": "nope"}).status_code == 401


def test_logout_revokes_the_refresh_and_the_access_token(client: Client) -> None:
    client.sign_up()
    pair = client.log_in()

    response = client.post("/v1/auth/logout", {}, token=pair["access_token"])

    assert response.status_code == 204
    assert client.get("/v1/auth/me", token=pair["access_token"]).status_code == 401
    refresh = client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    assert client.events("auth.session.revoked.v1")[0]["reason"] == "logout"


def test_logout_without_a_body_is_accepted(client: Client) -> None:
    client.sign_up()
    pair = client.log_in()
    assert client.post("/v1/auth/logout", token=pair["access_token"]).status_code == 204


def test_logout_without_a_token_is_401(client: Client) -> None:
    assert client.post("/v1/auth/logout", {}).status_code == 401


def test_logout_reaches_every_other_service_at_once(client: Client) -> None:
    """Core and search verify tokens themselves (JWKS over HTTP) and share the denylist."""
    client.sign_up()
    pair = client.log_in()
    services = [
        create_token_verifier(
            jwks_url=f"{client.base_url}/.well-known/jwks.json",
            issuer="keel-auth",
            audience="keel",
            redis_url=None,
            revocations_path=client.auth.settings.revocations_path,
        )
        for _ in ("core", "search")
    ]
    for service in services:
        service.verify(pair["access_token"])

    assert client.post("/v1/auth/logout", {}, token=pair["access_token"]).status_code == 204

    for service in services:  # no waiting at all: the next verification is refused
        with pytest.raises(InvalidToken):
            service.verify(pair["access_token"])


def test_me_refuses_a_session_the_database_revoked_even_before_the_denylist_knows(
    client: Client,
) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]
    assert client.get("/v1/auth/me", token).status_code == 200
    principal = client.auth.verifier.verify(token)

    with client.auth.uow() as uow:  # the row only: the shared denylist is not told
        session = uow.sessions.get(principal.session_id)
        assert session is not None and session.revoke("test", session.created_at)
        uow.commit()

    assert client.get("/v1/auth/me", token).status_code == 401
