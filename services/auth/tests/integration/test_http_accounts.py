"""Sign-up, /me, email verification, roles and the JWKS, through the real HTTP interface."""

from __future__ import annotations

import uuid

import pytest

from .conftest import PASSWORD, Client

PROBLEM = "application/problem+json"


def test_signup_answers_202_and_the_phone_waits_for_its_code(client: Client) -> None:
    body = {"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"}
    response = client.post("/v1/auth/signup", {**body, "phone": "+14155550123"})

    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    [event] = client.events("auth.user.registered.v1")
    pair = client.verify_email(event["verification_token"])
    user = client.get("/v1/auth/me", pair["access_token"]).json()
    assert set(user) == {
        "id", "email", "name", "phone", "phone_verified", "pending_phone", "roles",
        "email_verified", "locale", "created_at",
    }  # fmt: skip
    assert uuid.UUID(user["id"]) and user["email"] == "ada@example.com"
    assert (user["phone"], user["phone_verified"], user["pending_phone"]) == (
        None, False, "+14155550123",
    )  # fmt: skip
    assert (user["roles"], user["email_verified"]) == (["user"], True)


def test_signup_sends_the_welcome_email_with_a_verification_token(client: Client) -> None:
    user = client.sign_up()
    [event] = client.events("auth.user.registered.v1")
    assert event["user_id"] == user["id"]
    assert event["email"] == "ada@example.com"
    assert event["verification_token"]


def test_signup_with_a_taken_email_gets_the_same_answer(client: Client) -> None:
    body = {"email": "ada@example.com", "password": PASSWORD}
    first = client.post("/v1/auth/signup", body)
    second = client.post("/v1/auth/signup", {**body, "email": "ADA@example.com"})

    assert (first.status_code, first.content) == (second.status_code, second.content)
    [attempt] = client.events("auth.user.signup_attempted.v1")
    assert attempt["email"] == "ada@example.com"


def test_the_phone_flow_over_http(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]

    user = client.prove_phone(token, "+14155550123")

    assert (user["phone"], user["phone_verified"], user["pending_phone"]) == (
        "+14155550123", True, None,
    )  # fmt: skip
    assert client.post("/v1/auth/phone", {"phone": "+14155550123"}).status_code == 401
    wrong = {"phone": "+14155550123", "code": "000000"}
    assert client.post("/v1/auth/phone/verify", wrong, token).status_code == 401


def test_an_unverified_account_is_told_so_only_with_the_right_password(client: Client) -> None:
    client.sign_up(verify=False)

    right = client.post("/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    wrong = client.post("/v1/auth/login", {"email": "ada@example.com", "password": "nope" * 4})

    assert right.status_code == 403
    assert right.headers["Content-Type"] == PROBLEM
    assert right.json()["type"].endswith("email-not-verified")
    assert wrong.status_code == 401


def test_resend_answers_202_whatever_the_address(client: Client) -> None:
    client.sign_up(verify=False)
    for email in ("ada@example.com", "nobody@example.com"):
        response = client.post("/v1/auth/email/resend", {"email": email})
        assert (response.status_code, response.json()) == (202, {"status": "accepted"})
    [event] = client.events("auth.email.verification_requested.v1")
    assert client.verify_email(event["verification_token"])["access_token"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": PASSWORD, "phone": "0155512345"}, "phone"),
        ({"email": "ada@example.com", "password": "too short"}, "password"),
        ({"email": "ada@example.com", "password": "1qaz2wsx3edc"}, "password"),
        ({"email": "ada@example.com", "password": "x" * 129}, "password"),
    ],
)
def test_invalid_signups_are_422_problems_naming_the_field(
    client: Client, body: dict[str, str], field: str
) -> None:
    response = client.post("/v1/auth/signup", body)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["body", field]
    assert body["password"] not in response.text


def test_unknown_fields_are_refused(client: Client) -> None:
    body = {"email": "ada@example.com", "password": PASSWORD, "roles": ["admin"]}
    assert client.post("/v1/auth/signup", body).status_code == 422


def test_me_returns_the_callers_user_object(client: Client) -> None:
    user = client.sign_up()
    response = client.get("/v1/auth/me", token=client.log_in()["access_token"])
    assert response.status_code == 200
    assert response.json() == user


def test_email_verification_signs_in_once(client: Client) -> None:
    client.sign_up(verify=False)
    token = client.events("auth.user.registered.v1")[0]["verification_token"]

    response = client.post("/v1/auth/email/verify", {"token": token})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/v1/auth/me", token=response.json()["access_token"]).json()
    assert me["email_verified"] is True
    assert client.post("/v1/auth/email/verify", {"token": token}).status_code == 401
    assert client.post("/v1/auth/email/verify", {"token": "garbage"}).status_code == 400


@pytest.fixture
def admin_token(client: Client) -> str:
    client.create_admin("root@example.com")
    return str(client.log_in("root@example.com")["access_token"])


def test_an_admin_sets_roles(client: Client, admin_token: str) -> None:
    user = client.sign_up()
    response = client.put(f"/v1/auth/users/{user['id']}/roles", {"roles": ["staff"]}, admin_token)
    assert response.status_code == 200
    assert response.json()["roles"] == ["staff"]


def test_roles_without_a_token_is_401(client: Client) -> None:
    user = client.sign_up()
    response = client.put(f"/v1/auth/users/{user['id']}/roles", {"roles": ["admin"]})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_user_cannot_make_themself_admin(client: Client) -> None:
    """IDOR on roles: a valid token of a non-admin, aimed at their own id and someone else's."""
    me = client.sign_up()
    other = client.sign_up("bob@example.com")
    token = client.log_in()["access_token"]
    for target in (me["id"], other["id"], str(uuid.uuid4())):
        response = client.put(f"/v1/auth/users/{target}/roles", {"roles": ["admin"]}, token)
        assert response.status_code == 403
        assert response.headers["Content-Type"] == PROBLEM
    assert client.get("/v1/auth/me", token=token).json()["roles"] == ["user"]


def test_roles_of_an_unknown_user_is_404(client: Client, admin_token: str) -> None:
    path = f"/v1/auth/users/{uuid.uuid4()}/roles"
    assert client.put(path, {"roles": ["user"]}, admin_token).status_code == 404


def test_an_unknown_role_is_422(client: Client, admin_token: str) -> None:
    user = client.sign_up()
    path = f"/v1/auth/users/{user['id']}/roles"
    assert client.put(path, {"roles": ["root"]}, admin_token).status_code == 422


def test_the_jwks_publishes_the_public_signing_key(client: Client) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in key  # never the private half


def test_the_openapi_document_lists_every_route(client: Client) -> None:
    paths = client.get("/v1/auth/openapi.json").json()["paths"]
    for route in ("signup", "login", "refresh", "logout", "me", "otp/request", "otp/verify"):
        assert f"/v1/auth/{route}" in paths
    assert "/v1/auth/users/{id}/roles" in paths


def test_every_auth_answer_is_no_store(client: Client, admin_token: str) -> None:
    """Token pairs, the user object, the admin API and their errors: no cache keeps any."""
    user = client.sign_up(email="no.store@example.com")
    pair = client.log_in("no.store@example.com")
    answers = {
        "login": client.post("/v1/auth/login", {"email": user["email"], "password": PASSWORD}),
        "refresh": client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}),
        "me": client.get("/v1/auth/me", token=pair["access_token"]),
        "me without a token": client.get("/v1/auth/me"),
        "roles (admin)": client.put(
            f"/v1/auth/users/{user['id']}/roles", {"roles": ["user"]}, token=admin_token
        ),
        "roles (not admin)": client.put(
            f"/v1/auth/users/{user['id']}/roles", {"roles": ["admin"]}, token=pair["access_token"]
        ),
        "wrong password": client.post("/v1/auth/login", {"email": user["email"], "password": "x"}),
        "forgot": client.post("/v1/auth/password/forgot", {"email": user["email"]}),
    }
    assert answers["me"].status_code == answers["roles (admin)"].status_code == 200
    assert {k: r.headers.get("Cache-Control") for k, r in answers.items()} == {
        k: "no-store" for k in answers
    }
