"""The back-office's account APIs over real HTTP, on SQLite and PostgreSQL: who may call
them, what they answer, the audit record of each action, and that a revoked or disabled
account's tokens stop working at another service's verifier at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from keel_auth.adapters.orm import audit_log
from keel_common.auth import InvalidToken, TokenVerifier, create_token_verifier

from .conftest import PASSWORD, Client

PHONE = "+14155550123"
NOBODY = str(uuid.uuid4())
REASON = {"reason": "support ticket 42"}


def admin_apis(target: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("GET", "/v1/admin/users", None),
        ("GET", "/v1/admin/users/stats", None),
        ("GET", f"/v1/admin/users/{target}", None),
        ("GET", f"/v1/admin/users/{target}/audit", None),
        ("POST", f"/v1/admin/users/{target}/sessions/revoke", REASON),
        ("POST", f"/v1/admin/users/{target}/disable", REASON),
        ("POST", f"/v1/admin/users/{target}/enable", REASON),
        ("PUT", f"/v1/admin/users/{target}/roles", {"roles": ["user"], **REASON}),
        ("GET", "/v1/admin/auth/audit", None),
    ]


def call(
    client: Client, method: str, path: str, body: Any = None, token: str | None = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, client.base_url + path, json=body, headers=headers, timeout=10)


@pytest.fixture
def admin(client: Client) -> tuple[str, str]:
    """(id, access token) of an admin made with the operator's CLI."""
    user = client.create_admin("root@example.com")
    return str(user.id), str(client.log_in("root@example.com")["access_token"])


@pytest.fixture
def staff(client: Client, admin: tuple[str, str]) -> tuple[str, str]:
    """(id, access token) of an account an admin gave the staff role."""
    user = client.sign_up("staff@example.com")
    body = {"roles": ["staff"], "reason": "joined support"}
    response = call(client, "PUT", f"/v1/admin/users/{user['id']}/roles", body, admin[1])
    assert response.status_code == 200, response.text
    return str(user["id"]), str(client.log_in("staff@example.com")["access_token"])


def other_service(client: Client) -> TokenVerifier:
    """How core or search verify tokens: JWKS over HTTP and the shared denylist."""
    return create_token_verifier(
        jwks_url=f"{client.base_url}/.well-known/jwks.json",
        issuer="keel-auth",
        audience="keel",
        redis_url=None,
        revocations_path=client.auth.settings.revocations_path,
    )


def audit_rows(client: Client, action: str) -> list[dict[str, Any]]:
    query = sa.select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.pk)
    with client.auth.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def assert_audited(client: Client, action: str, actor: str, target: str, reason: str) -> None:
    [row] = audit_rows(client, action)[-1:]
    assert (str(row["actor_id"]), str(row["user_id"])) == (actor, target)
    assert row["details"]["reason"] == reason
    assert row["occurred_at"] is not None


def test_every_admin_api_is_401_without_a_token_and_403_for_a_user(client: Client) -> None:
    target = client.sign_up()["id"]
    token = client.log_in()["access_token"]
    for method, path, body in admin_apis(target):
        assert call(client, method, path, body).status_code == 401, path
        refused = call(client, method, path, body, token)
        assert refused.status_code == 403, (path, refused.text)
    assert client.get("/v1/auth/me", token).status_code == 200  # nothing was done to it


def test_staff_cannot_change_roles(client: Client, staff: tuple[str, str]) -> None:
    target = client.sign_up()["id"]
    body = {"roles": ["admin"], "reason": "please"}
    response = call(client, "PUT", f"/v1/admin/users/{target}/roles", body, staff[1])
    assert response.status_code == 403
    old_route = f"/v1/auth/users/{target}/roles"
    assert call(client, "PUT", old_route, {"roles": ["admin"]}, staff[1]).status_code == 403


def test_staff_find_users_by_email_prefix_phone_and_id(
    client: Client, staff: tuple[str, str]
) -> None:
    ada = client.sign_up("ada@example.com", phone=PHONE)
    client.sign_up("adam@example.com")

    def found(**params: str) -> list[str]:
        response = requests.get(
            f"{client.base_url}/v1/admin/users", params=params,
            headers={"Authorization": f"Bearer {staff[1]}"}, timeout=10,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return [u["email"] for u in response.json()["items"]]

    assert found(email="ADA@example.com") == ["ada@example.com"]
    assert found(email_prefix="Ada") == ["adam@example.com", "ada@example.com"]
    assert found(email_prefix="ad_") == []  # "_" is a character here, not a wildcard
    assert found(phone=PHONE) == ["ada@example.com"]
    assert found(id=ada["id"]) == ["ada@example.com"]
    assert found(email_prefix="ada", limit="1")[0] == "adam@example.com"


def test_pages_follow_next_cursor(client: Client, staff: tuple[str, str]) -> None:
    for n in range(3):
        client.sign_up(f"page{n}@example.com", verify=False)
    seen, params = [], {"email_prefix": "page", "limit": "2"}
    while True:
        response = requests.get(
            f"{client.base_url}/v1/admin/users", params=params,
            headers={"Authorization": f"Bearer {staff[1]}"}, timeout=10,
        )  # fmt: skip
        page = response.json()
        seen += [u["email"] for u in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert sorted(seen) == [f"page{n}@example.com" for n in range(3)]
    bad = call(client, "GET", "/v1/admin/users?cursor=nonsense", token=staff[1])
    assert bad.status_code == 422


def test_a_malformed_search_filter_is_a_422_naming_the_query_parameter(
    client: Client, staff: tuple[str, str]
) -> None:
    for query, field in (("email=nobody", "email"), ("phone=12", "phone"), ("cursor=x", "cursor")):
        bad = call(client, "GET", f"/v1/admin/users?{query}", token=staff[1])
        assert bad.status_code == 422, bad.text
        assert bad.headers["Content-Type"] == "application/problem+json"
        assert [e["loc"] for e in bad.json()["errors"]] == [["query", field]], bad.text


def test_the_user_detail_shows_profile_flags_sessions_and_the_trail(
    client: Client, staff: tuple[str, str]
) -> None:
    user = client.sign_up()
    client.post("/v1/auth/login", {"email": user["email"], "password": PASSWORD},
                headers={"User-Agent": "KeelApp/2.1 (iPhone)"})  # fmt: skip

    detail = call(client, "GET", f"/v1/admin/users/{user['id']}", token=staff[1]).json()
    assert detail["user"]["email"] == "ada@example.com"
    assert (detail["user"]["email_verified"], detail["user"]["disabled"]) == (True, False)
    assert detail["user"]["roles"] == ["user"]
    newest = detail["sessions"][0]
    assert newest["user_agent"] == "KeelApp/2.1 (iPhone)" and newest["ip"] == "127.0.0.1"
    assert {"id", "created_at", "last_seen_at"} <= newest.keys()

    trail = call(client, "GET", f"/v1/admin/users/{user['id']}/audit", token=staff[1]).json()
    actions = [e["action"] for e in trail["items"]]
    assert actions[0] == "login.succeeded" and actions[-1] == "signup"
    assert call(client, "GET", f"/v1/admin/users/{NOBODY}", token=staff[1]).status_code == 404


def test_revoking_sessions_is_audited_and_401s_the_tokens_everywhere_at_once(
    client: Client, staff: tuple[str, str]
) -> None:
    user = client.sign_up()
    token = client.log_in()["access_token"]
    core = other_service(client)
    core.verify(token)

    body = {"reason": "phone stolen, ticket 7"}
    path = f"/v1/admin/users/{user['id']}/sessions/revoke"
    response = call(client, "POST", path, body, staff[1])

    assert response.status_code == 200, response.text
    assert response.json()["revoked_sessions"] == 2  # the login and the email link's
    assert client.get("/v1/auth/me", token).status_code == 401
    with pytest.raises(InvalidToken):
        core.verify(token)
    assert_audited(client, "sessions.revoked", staff[0], user["id"], "phone stolen, ticket 7")


def test_a_disabled_account_is_refused_at_sign_in_and_its_token_everywhere(
    client: Client, staff: tuple[str, str]
) -> None:
    user = client.sign_up(phone=PHONE)
    token = client.log_in()["access_token"]
    core = other_service(client)

    response = call(client, "POST", f"/v1/admin/users/{user['id']}/disable",
                    {"reason": "chargeback fraud"}, staff[1])  # fmt: skip

    assert response.status_code == 200, response.text
    assert response.json()["user"]["disabled_reason"] == "chargeback fraud"
    assert response.json()["sessions"] == []
    with pytest.raises(InvalidToken):
        core.verify(token)
    login = client.post("/v1/auth/login", {"email": user["email"], "password": PASSWORD})
    assert (login.status_code, login.json()["type"]) == (403, "/problems/account-disabled")
    assert client.post("/v1/auth/otp/request", {"phone": PHONE}).status_code == 202
    code = client.events("auth.otp.requested.v1")[-1]["code"]
    otp = client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": code})
    assert (otp.status_code, otp.json()["type"]) == (403, "/problems/account-disabled")
    assert_audited(client, "account.disabled", staff[0], user["id"], "chargeback fraud")


def test_a_re_enabled_account_signs_in_again(client: Client, staff: tuple[str, str]) -> None:
    user = client.sign_up()
    for action, reason in (("disable", "fraud?"), ("enable", "cleared by the bank")):
        path = f"/v1/admin/users/{user['id']}/{action}"
        assert call(client, "POST", path, {"reason": reason}, staff[1]).status_code == 200

    assert client.log_in()["access_token"]
    assert_audited(client, "account.enabled", staff[0], user["id"], "cleared by the bank")


def test_a_reason_is_required(client: Client, staff: tuple[str, str]) -> None:
    user = client.sign_up()
    path = f"/v1/admin/users/{user['id']}/disable"
    assert call(client, "POST", path, {}, staff[1]).status_code == 422
    assert call(client, "POST", path, {"reason": "  "}, staff[1]).status_code == 422
    assert audit_rows(client, "account.disabled") == []


def test_admins_change_roles_with_a_reason_and_keep_the_last_admin(
    client: Client, admin: tuple[str, str]
) -> None:
    user = client.sign_up()
    body = {"roles": ["staff", "user"], "reason": "joined support"}
    response = call(client, "PUT", f"/v1/admin/users/{user['id']}/roles", body, admin[1])

    assert (response.status_code, response.json()["roles"]) == (200, ["staff", "user"])
    assert_audited(client, "roles.changed", admin[0], user["id"], "joined support")
    demote = {"roles": ["user"], "reason": "stepping down"}
    last = call(client, "PUT", f"/v1/admin/users/{admin[0]}/roles", demote, admin[1])
    assert last.status_code == 409


def test_staff_cannot_disable_an_admin(
    client: Client, admin: tuple[str, str], staff: tuple[str, str]
) -> None:
    path = f"/v1/admin/users/{admin[0]}/disable"
    assert call(client, "POST", path, REASON, staff[1]).status_code == 403
    assert client.get("/v1/auth/me", admin[1]).status_code == 200


def test_the_audit_log_api_filters_by_actor_and_target(
    client: Client, admin: tuple[str, str], staff: tuple[str, str]
) -> None:
    user = client.sign_up()
    call(client, "POST", f"/v1/admin/users/{user['id']}/sessions/revoke", REASON, staff[1])

    by_staff = call(client, "GET", f"/v1/admin/auth/audit?actor_id={staff[0]}", token=admin[1])
    actions = [(e["action"], e["user_id"], e["reason"]) for e in by_staff.json()["items"]]
    assert actions[0] == ("sessions.revoked", user["id"], "support ticket 42")
    about = call(client, "GET", f"/v1/admin/auth/audit?user_id={user['id']}", token=admin[1])
    assert {e["user_id"] for e in about.json()["items"]} == {user["id"]}


def test_signup_stats_count_today_and_the_last_seven_days(
    client: Client, staff: tuple[str, str]
) -> None:
    client.sign_up("one@example.com", verify=False)
    stats = call(client, "GET", "/v1/admin/users/stats", token=staff[1]).json()
    # root, staff and one: every account here was created today.
    assert (stats["signups_today"], stats["signups_last_7_days"]) == (3, 3)


def test_the_admin_api_is_in_the_openapi_document(client: Client) -> None:
    document = client.get("/v1/auth/openapi.json").json()
    for path in ("/v1/admin/users", "/v1/admin/users/{id}/disable", "/v1/admin/auth/audit",
                 "/v1/admin/users/stats", "/v1/admin/users/{id}/sessions/revoke"):  # fmt: skip
        assert path in document["paths"], path
