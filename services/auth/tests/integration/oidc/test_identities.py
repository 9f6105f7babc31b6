"""Account linking without takeover, listing and unlinking identities."""

from __future__ import annotations

import json
import secrets
from typing import Any

import requests
import sqlalchemy as sa

from keel_auth.adapters.fakes_export import FakeUserDataSource

from ..conftest import PASSWORD, Client, new_email
from ..test_http_export import download, run_worker
from .support import mock_id_token

TOKEN = "/v1/auth/oidc/mock/token"


def native(issuer: str, sub: str, email: str) -> dict[str, str]:
    nonce = secrets.token_urlsafe(16)
    id_token = mock_id_token(issuer, sub, nonce, email=email, email_verified=True)
    return {"id_token": id_token, "nonce": nonce}


def audit_actions(client: Client) -> list[str]:
    table = sa.Table("audit_log", sa.MetaData(), autoload_with=client.auth.engine)
    with client.auth.engine.connect() as conn:
        return [row.action for row in conn.execute(sa.select(table).order_by(table.c.pk))]


def test_a_verified_account_is_not_linked_without_proof_then_linked_when_signed_in(
    client: Client, issuer: str
) -> None:
    email = new_email()
    client.sign_up(email)
    refused = client.post(TOKEN, native(issuer, "victim-sub", email))
    assert refused.status_code == 409, refused.text
    assert "identity.link_refused" in audit_actions(client)

    access = client.log_in(email)["access_token"]
    linked = client.post(
        "/v1/auth/identities", {"provider": "mock", **native(issuer, "victim-sub", email)}, access
    )
    assert linked.status_code == 201, linked.text
    listed = client.get("/v1/auth/identities", access).json()["identities"]
    assert [(i["provider"], i["email"]) for i in listed] == [("mock", email)]

    pair = client.post(TOKEN, native(issuer, "victim-sub", email))
    assert pair.status_code == 200
    me = client.get("/v1/auth/me", pair.json()["access_token"]).json()
    assert me["id"] == client.get("/v1/auth/me", access).json()["id"]
    assert {"identity.linked", "login.succeeded"} <= set(audit_actions(client))


def test_an_identity_linked_elsewhere_cannot_be_linked_again(client: Client, issuer: str) -> None:
    first = client.post(TOKEN, native(issuer, "shared-sub", new_email())).json()
    email = new_email()
    client.sign_up(email)
    access = client.log_in(email)["access_token"]
    body = {"provider": "mock", **native(issuer, "shared-sub", new_email())}
    assert client.post("/v1/auth/identities", body, access).status_code == 409
    assert first["access_token"]


def test_the_takeover_attempt_through_an_unverified_account_fails(
    client: Client, issuer: str
) -> None:
    """Someone registered the victim's address first (never verified it) with their own
    password and phone; the owner's OIDC sign-in takes the account and none of that works."""
    email = new_email()
    client.sign_up(email, verify=False, phone="+14155550123")
    squatter = client.post("/v1/auth/login", {"email": email, "password": PASSWORD})
    assert squatter.status_code == 403

    pair = client.post(TOKEN, native(issuer, "owner-sub", email))

    assert pair.status_code == 200, pair.text
    me = client.get("/v1/auth/me", pair.json()["access_token"]).json()
    assert me["email_verified"] is True
    assert (me["phone"], me["pending_phone"], me["name"]) == (None, None, None)
    after = client.post("/v1/auth/login", {"email": email, "password": PASSWORD})
    assert after.status_code == 401  # the squatter's password is gone
    assert "account.taken_over" in audit_actions(client)


def test_unlinking_the_last_way_to_sign_in_is_refused(client: Client, issuer: str) -> None:
    pair = client.post(TOKEN, native(issuer, "only-sub", new_email())).json()
    access = pair["access_token"]
    [identity] = client.get("/v1/auth/identities", access).json()["identities"]

    refused = _delete(client, f"/v1/auth/identities/{identity['id']}", access)

    assert refused.status_code == 409, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert len(client.get("/v1/auth/identities", access).json()["identities"]) == 1


def test_unlinking_is_allowed_while_a_password_remains(client: Client, issuer: str) -> None:
    email = new_email()
    client.sign_up(email)
    access = client.log_in(email)["access_token"]
    body = {"provider": "mock", **native(issuer, "extra-sub", email)}
    identity = client.post("/v1/auth/identities", body, access).json()

    assert _delete(client, f"/v1/auth/identities/{identity['id']}", access).status_code == 204
    assert client.get("/v1/auth/identities", access).json()["identities"] == []
    assert "identity.unlinked" in audit_actions(client)
    other = client.post(TOKEN, native(issuer, "stranger-sub", new_email())).json()["access_token"]
    assert _delete(client, f"/v1/auth/identities/{identity['id']}", other).status_code == 404


def test_identities_need_a_signed_in_caller(client: Client) -> None:
    assert client.get("/v1/auth/identities").status_code == 401


def _delete(client: Client, path: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.delete(client.base_url + path, headers=headers, timeout=10)


def test_the_export_lists_linked_identities_and_no_id_token_or_nonce(
    client: Client, issuer: str
) -> None:
    email = new_email()
    client.sign_up(email)
    access = client.log_in(email)["access_token"]
    proof = native(issuer, "exported-sub", email)
    linked = client.post("/v1/auth/identities", {"provider": "mock", **proof}, access)
    assert linked.status_code == 201, linked.text
    asked = client.post("/v1/auth/me/export", {}, access)
    assert asked.status_code == 202, asked.text

    run_worker(client, FakeUserDataSource())
    (mail,) = client.events("auth.user.export_ready.v1")
    document = download(client, mail["download_token"]).json()

    (identity,) = document["identities"]
    assert identity["id"] == linked.json()["id"]
    assert (identity["provider"], identity["subject"], identity["email"]) == (
        "mock",
        "exported-sub",
        email,
    )
    text = json.dumps(document)
    assert proof["id_token"] not in text and proof["nonce"] not in text
