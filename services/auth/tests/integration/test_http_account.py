"""Self-service over HTTP (issue #14): password change, profile and locale, sessions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from keel_common.auth import InvalidToken, create_token_verifier

from .conftest import PASSWORD, Client

NEW_PASSWORD = "a brand new passphrase"


def patch_me(client: Client, body: dict[str, Any], token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.patch(f"{client.base_url}/v1/auth/me", json=body, headers=headers, timeout=10)


def delete(client: Client, path: str, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.delete(client.base_url + path, headers=headers, timeout=10)


def change_password(client: Client, token: str, current: str = PASSWORD) -> requests.Response:
    body = {"current_password": current, "new_password": NEW_PASSWORD}
    return client.post("/v1/auth/password/change", body, token)


def audit_actions(client: Client) -> list[str]:
    table = sa.Table("audit_log", sa.MetaData(), autoload_with=client.auth.engine)
    with client.auth.engine.connect() as conn:
        return [row.action for row in conn.execute(sa.select(table).order_by(table.c.pk))]


def test_password_change_keeps_this_session_and_ends_the_others(client: Client) -> None:
    client.sign_up()
    this, other = client.log_in(), client.log_in()

    response = change_password(client, this["access_token"])

    assert response.status_code == 204
    assert client.get("/v1/auth/me", this["access_token"]).status_code == 200
    assert client.get("/v1/auth/me", other["access_token"]).status_code == 401
    refresh = client.post("/v1/auth/refresh", {"refresh_token": other["refresh_token"]})
    assert refresh.status_code == 401
    assert client.post("/v1/auth/refresh", {"refresh_token": this["refresh_token"]}).ok
    client.log_in(password=NEW_PASSWORD)
    assert (
        client.post(
            "/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )
    [notice] = client.events("auth.password.changed.v1")
    assert notice["email"] == "ada@example.com"
    assert "password.changed" in audit_actions(client)


def test_password_change_with_a_wrong_current_password_is_401_and_audited(client: Client) -> None:
    client.sign_up()
    pair = client.log_in()

    response = change_password(client, pair["access_token"], current="not my password!")

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert client.events("auth.password.changed.v1") == []
    assert "password.change_failed" in audit_actions(client)
    client.log_in()  # unchanged


def test_wrong_current_passwords_are_throttled_like_logins(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]  # 1 slot of the account's 10 taken
    statuses = [
        change_password(client, token, current=f"guess number {i}!").status_code for i in range(9)
    ]
    assert statuses == [401] * 9

    response = change_password(client, token)  # the right one, past the budget

    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 600


def test_a_weak_new_password_is_422(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]
    body = {"current_password": PASSWORD, "new_password": "password1234"}

    response = client.post("/v1/auth/password/change", body, token)

    assert response.status_code == 422
    assert client.events("auth.password.changed.v1") == []


def test_password_change_needs_a_token(client: Client) -> None:
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/v1/auth/password/change", body).status_code == 401


def test_patch_me_sets_name_and_a_normalised_locale(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]

    response = patch_me(client, {"name": "Ada L.", "locale": "FR-ca"}, token)

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["locale"]) == ("Ada L.", "fr-CA")
    assert client.get("/v1/auth/me", token).json()["locale"] == "fr-CA"
    [event] = client.events("auth.user.profile_updated.v1")
    assert event["locale"] == "fr-CA"
    assert "profile.updated" in audit_actions(client)


def test_the_locale_rides_on_the_events_that_cause_emails(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]
    patch_me(client, {"locale": "fr"}, token)

    client.post("/v1/auth/password/forgot", {"email": "ada@example.com"})
    change_password(client, token)

    assert client.events("auth.password.reset_requested.v1")[-1]["locale"] == "fr"
    assert client.events("auth.password.changed.v1")[-1]["locale"] == "fr"


@pytest.mark.parametrize("body", [{"locale": "français"}, {"locale": "fr_CA"}, {"age": 3}])
def test_patch_me_refuses_what_is_not_a_profile(client: Client, body: dict[str, Any]) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]

    response = patch_me(client, body, token)

    assert response.status_code == 422
    assert client.get("/v1/auth/me", token).json()["locale"] is None


def test_sessions_lists_the_live_ones_newest_first(client: Client) -> None:
    client.sign_up()  # the verification link signed in: one session
    older = client.log_in()
    newest = client.post(
        "/v1/auth/login",
        {"email": "ada@example.com", "password": PASSWORD},
        headers={"User-Agent": "Firefox/130"},
    ).json()
    client.post("/v1/auth/logout", {}, older["access_token"])

    response = client.get("/v1/auth/sessions", newest["access_token"])

    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 2
    assert [item["current"] for item in items] == [True, False]
    assert items[0]["user_agent"] == "Firefox/130"
    assert items[0]["ip"] == "127.0.0.1"
    assert set(items[0]) == {"id", "created_at", "last_seen_at", "ip", "user_agent", "current"}
    assert items[0]["created_at"] >= items[1]["created_at"]


def test_a_refresh_moves_last_seen_at(client: Client) -> None:
    client.sign_up()
    pair = client.log_in()
    [before] = [
        s
        for s in client.get("/v1/auth/sessions", pair["access_token"]).json()["items"]
        if s["current"]
    ]
    assert before["last_seen_at"] == before["created_at"]

    fresh = client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}).json()

    [after] = [
        s
        for s in client.get("/v1/auth/sessions", fresh["access_token"]).json()["items"]
        if s["current"]
    ]
    assert after["last_seen_at"] > before["last_seen_at"]


def test_deleting_a_session_ends_it_at_every_service_at_once(client: Client) -> None:
    client.sign_up()
    mine, stolen = client.log_in(), client.log_in()
    other_service = create_token_verifier(
        jwks_url=f"{client.base_url}/.well-known/jwks.json",
        issuer="keel-auth",
        audience="keel",
        redis_url=None,
        revocations_path=client.auth.settings.revocations_path,
    )
    other_service.verify(stolen["access_token"])
    stolen_sid = client.auth.tokens.decode(stolen["access_token"])["sid"]
    listed = client.get("/v1/auth/sessions", mine["access_token"]).json()["items"]
    assert stolen_sid in [s["id"] for s in listed]

    response = delete(client, f"/v1/auth/sessions/{stolen_sid}", mine["access_token"])

    assert response.status_code == 204
    with pytest.raises(InvalidToken):  # no waiting: the next verification is refused
        other_service.verify(stolen["access_token"])
    assert client.get("/v1/auth/me", stolen["access_token"]).status_code == 401
    refresh = client.post("/v1/auth/refresh", {"refresh_token": stolen["refresh_token"]})
    assert refresh.status_code == 401
    assert client.get("/v1/auth/me", mine["access_token"]).status_code == 200
    assert "session.revoked" in audit_actions(client)


def test_another_users_session_is_404_like_an_unknown_id(client: Client) -> None:
    client.sign_up()
    client.sign_up("bob@example.com")
    ada = client.log_in()
    bob = client.log_in("bob@example.com")
    bobs = client.auth.tokens.decode(bob["access_token"])["sid"]

    theirs = delete(client, f"/v1/auth/sessions/{bobs}", ada["access_token"])
    unknown = delete(client, f"/v1/auth/sessions/{uuid.uuid4()}", ada["access_token"])

    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert client.get("/v1/auth/me", bob["access_token"]).status_code == 200


def test_session_routes_need_a_token(client: Client) -> None:
    assert client.get("/v1/auth/sessions").status_code == 401
    assert delete(client, f"/v1/auth/sessions/{uuid.uuid4()}", "nope").status_code == 401


def test_the_openapi_document_lists_the_problems_of_the_new_routes(client: Client) -> None:
    document = client.get("/v1/auth/openapi.json").json()
    paths = document["paths"]

    assert {"401", "422", "429"} <= set(paths["/v1/auth/password/change"]["post"]["responses"])
    assert {"400", "401", "409"} <= set(paths["/v1/auth/email/change/confirm"]["post"]["responses"])
    assert "404" in paths["/v1/auth/sessions/{id}"]["delete"]["responses"]
    assert "patch" in paths["/v1/auth/me"]
    assert "locale" in document["components"]["schemas"]["UserOut"]["properties"]
