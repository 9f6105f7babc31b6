"""Account erasure over HTTP on SQLite and PostgreSQL (issue #14): DELETE /v1/auth/me, the
admin trigger and status, and auth's own part run as its worker runs it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pyotp
import requests
import sqlalchemy as sa

from keel_auth.entrypoints.privacy_consumer import erasure_events_handler
from keel_common.messaging import Envelope
from keel_events.auth import AccountErasureRequested
from keel_events.privacy import ERASURE_REPORTS

from .conftest import PASSWORD, Client, new_email


def delete_me(client: Client, token: str, body: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.delete(client.base_url + "/v1/auth/me", json=body, headers=headers, timeout=10)


def run_worker(client: Client, user_id: uuid.UUID, reports: bool = True) -> None:
    """What auth's worker does with the erasure queue: its own part, then the reports."""
    handle = erasure_events_handler(client.auth)
    events: list[Any] = [AccountErasureRequested(user_id=user_id, requested_at=datetime.now(UTC))]
    if reports:
        events += [r(user_id=user_id, erased_at=datetime.now(UTC)) for r in ERASURE_REPORTS]
    for event in events:
        envelope = Envelope.new(type=event.type, source="test", data=event.to_data())
        handle(event, envelope)


def personal_rows(client: Client, *values: str) -> list[tuple[str, Any]]:
    """Every row of every auth table (the outbox aside) holding one of ``values``."""
    found = []
    with client.auth.engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(conn)
        for table in metadata.sorted_tables:
            if table.name in ("outbox", "alembic_version"):
                continue
            for row in conn.execute(sa.select(table)):
                text = " ".join(str(v) for v in row)
                found += [(table.name, row) for value in values if value in text]
    return found


def test_deleting_my_account_disables_it_at_once_and_erases_it(client: Client) -> None:
    email = new_email()
    user = client.sign_up(email, name="Ada Lovelace", phone="+14155550123")
    pair = client.log_in(email)

    assert delete_me(client, pair["access_token"], {"password": "wrong one"}).status_code == 401
    response = delete_me(client, pair["access_token"], {"password": PASSWORD})

    assert response.status_code == 202, response.text
    assert client.get("/v1/auth/me", pair["access_token"]).status_code == 401
    refused = client.post("/v1/auth/login", {"email": email, "password": PASSWORD})
    assert refused.status_code == 403
    (requested,) = client.events("auth.user.erasure_requested.v1")
    assert requested["user_id"] == user["id"] and set(requested) == {"user_id", "requested_at"}

    run_worker(client, uuid.UUID(user["id"]))

    assert personal_rows(client, email, "+14155550123", "Ada Lovelace", "127.0.0.1") == []
    (erased,) = client.events("auth.user.erased.v1")
    assert erased["email"] == email


def test_a_wrong_password_is_refused_and_throttled_like_login(client: Client) -> None:
    email = new_email()
    client.sign_up(email)
    token = client.log_in(email)["access_token"]
    limit = client.auth.policy.login_failures_per_account.amount
    answers = [delete_me(client, token, {"password": "wrong"}).status_code for _ in range(limit)]
    assert set(answers[:-1]) == {401}
    assert delete_me(client, token, {"password": PASSWORD}).status_code == 429
    assert client.get("/v1/auth/me", token).status_code == 200


def test_an_admin_erases_an_account_and_reads_per_service_progress(client: Client) -> None:
    client.create_admin("root@example.com")
    admin = client.log_in("root@example.com")["access_token"]
    email = new_email()
    user = client.sign_up(email)
    victim = client.log_in(email)["access_token"]
    path = f"/v1/admin/users/{user['id']}/erasure"

    assert client.post(path, {"reason": "spite"}, victim).status_code == 403
    assert client.get(path, admin).status_code == 404
    response = client.post(path, {"reason": "GDPR request by letter"}, admin)

    assert response.status_code == 202, response.text
    assert client.get("/v1/auth/me", victim).status_code == 401
    status = client.get(path, admin).json()
    assert status["completed"] == dict.fromkeys(["auth", "core", "notification", "search"])
    run_worker(client, uuid.UUID(user["id"]))
    status = client.get(path, admin).json()
    assert status["complete"] is True and None not in status["completed"].values()
    assert client.get(path, victim).status_code == 401


def test_erasure_takes_second_factors_and_exports_with_the_account(client: Client) -> None:
    """Tables added beside the account (TOTP, recovery codes, exports) refer to it: erasure
    must take them too, or PostgreSQL refuses to delete the account."""
    email = new_email()
    user = client.sign_up(email, name="Grace Hopper")
    access = client.log_in(email)["access_token"]
    secret = client.post("/v1/auth/mfa/totp", token=access).json()["secret"]
    verified = client.post("/v1/auth/mfa/totp/verify", {"code": pyotp.TOTP(secret).now()}, access)
    assert verified.status_code == 200, verified.text
    assert client.post("/v1/auth/me/export", token=access).status_code == 202

    assert delete_me(client, access, {"password": PASSWORD}).status_code == 202
    run_worker(client, uuid.UUID(user["id"]))

    assert personal_rows(client, email, "Grace Hopper") == []
    with client.auth.engine.connect() as conn:
        for table in ("totp_factors", "recovery_codes", "exports"):
            rows = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            assert rows == 0, table


def relay_publishes(client: Client) -> None:
    """What auth's relay does: mark every staged event published (and keep it a while)."""
    with client.auth.engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox SET published_at = :now"), {"now": datetime.now(UTC)})


def outbox_types_naming(client: Client, *values: str) -> list[str]:
    with client.auth.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT type, payload FROM outbox ORDER BY pk")).all()
    return [kind for kind, payload in rows if any(v in payload for v in values)]


def test_the_events_already_sent_about_the_user_leave_the_outbox_with_the_account(
    client: Client,
) -> None:
    """The relay keeps published events for a while (auth: 30 minutes); the welcome email's
    and the phone code's carry the address, name, number and codes. Erasure takes them at
    once; only the last email's event, not yet sent, names the user."""
    email, phone = new_email(), "+14155550177"
    user = client.sign_up(email, name="Ada Lovelace", phone=phone)
    access = client.log_in(email)["access_token"]
    assert delete_me(client, access, {"password": PASSWORD}).status_code == 202
    relay_publishes(client)
    named = outbox_types_naming(client, email, phone, user["id"])
    assert "auth.user.registered.v1" in named and len(named) > 2, named

    run_worker(client, uuid.UUID(user["id"]))

    assert outbox_types_naming(client, email, phone, user["id"]) == ["auth.user.erased.v1"]
