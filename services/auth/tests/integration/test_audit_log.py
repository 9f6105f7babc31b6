"""Security events land in the audit log with actor, client IP, user agent and time."""

from __future__ import annotations

import sqlalchemy as sa

from keel_auth.adapters.orm import audit_log

from .conftest import PASSWORD, Client


def audit_rows(client: Client) -> list[dict]:
    with client.auth.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.pk)).mappings().all()
    return [dict(row) for row in rows]


def test_signup_login_and_logout_are_audited_with_the_client(client: Client) -> None:
    headers = {"User-Agent": "KeelApp/1.0", "X-Forwarded-For": "198.51.100.7"}
    user = client.sign_up()
    body = {"email": "ada@example.com", "password": "not the password"}
    client.post("/v1/auth/login", body, headers=headers)
    pair = client.post(
        "/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD}, headers=headers
    ).json()
    client.post("/v1/auth/logout", {}, token=pair["access_token"], headers=headers)

    rows = audit_rows(client)

    assert [row["action"].value for row in rows] == [
        "signup",
        "email.verified",
        "login.succeeded",  # the verification link signs in
        "login.failed",
        "login.succeeded",
        "logout",
    ]
    for row in rows[3:]:
        assert (row["ip"], row["user_agent"]) == ("198.51.100.7", "KeelApp/1.0")
        assert str(row["user_id"]) == user["id"]
        assert row["occurred_at"] is not None
    assert PASSWORD not in str(rows)
