"""Data export over HTTP on SQLite and PostgreSQL (issue #14): POST /v1/auth/me/export,
auth's worker assembling the document, and the single-use GET /v1/auth/me/export/{token}."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from keel_auth.adapters.fakes_export import FakeUserDataSource
from keel_auth.domain.errors import ExportSourceUnavailable
from keel_auth.domain.export import EXPORT_ATTEMPTS
from keel_auth.entrypoints.export_consumer import export_events_handler
from keel_common.messaging import Envelope
from keel_events.auth import UserExportRequested

from .conftest import PASSWORD, Client, new_email

NOTIFICATION = {"devices": [{"platform": "ios", "token": "abcd…wxyz"}], "preferences": {}}


def ask(client: Client, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.post(client.base_url + "/v1/auth/me/export", headers=headers, timeout=10)


def download(client: Client, token: str) -> requests.Response:
    return requests.get(client.base_url + f"/v1/auth/me/export/{token}", timeout=10)


def run_worker(client: Client, sources: FakeUserDataSource) -> None:
    """What auth's worker does with each export request staged in the outbox."""
    client.auth.export_sources = sources
    handle = export_events_handler(client.auth)
    for data in client.events(UserExportRequested.type):
        event = UserExportRequested.model_validate(data)
        handle(event, Envelope.new(type=event.type, source="test", data=event.to_data()))


def test_export_is_assembled_by_the_worker_and_downloaded_once(client: Client) -> None:
    email = new_email()
    user = client.sign_up(email, name="Ada Lovelace")
    pair = client.log_in(email)

    response = ask(client, pair["access_token"])
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted"}
    again = ask(client, pair["access_token"])
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    assert ask(client, "not-a-token").status_code == 401

    run_worker(client, FakeUserDataSource({"notification": NOTIFICATION}))
    (mail,) = client.events("auth.user.export_ready.v1")
    assert mail["email"] == email and mail["user_id"] == user["id"]

    first = download(client, mail["download_token"])
    assert first.status_code == 200, first.text
    assert first.headers["Content-Type"].startswith("application/json")
    assert first.headers["Cache-Control"] == "no-store"
    document = first.json()
    assert document["format"] == "keel.export.v1" and document["user"]["id"] == user["id"]
    assert document["notification"] == NOTIFICATION
    assert {"core", "search", "sessions", "audit"} <= set(document)
    assert_no_secret(client, document, pair, mail["download_token"])

    used = download(client, mail["download_token"])
    assert used.status_code == 404
    assert used.headers["Content-Type"].startswith("application/problem+json")
    assert download(client, "unknown-token").status_code == 404


def assert_no_secret(client: Client, document: Any, pair: dict[str, Any], link: str) -> None:
    with client.auth.engine.connect() as conn:
        (password_hash,) = conn.execute(sa.text("SELECT password_hash FROM users")).one()
    text = str(document)
    for secret in (password_hash, PASSWORD, pair["access_token"], pair["refresh_token"], link):
        assert secret not in text


def test_an_expired_link_is_gone(client: Client) -> None:
    email = new_email()
    client.sign_up(email)
    assert ask(client, client.log_in(email)["access_token"]).status_code == 202
    run_worker(client, FakeUserDataSource())
    (mail,) = client.events("auth.user.export_ready.v1")
    with client.auth.engine.begin() as conn:
        conn.execute(sa.text("UPDATE exports SET expires_at = generated_at"))

    assert download(client, mail["download_token"]).status_code == 404


def test_a_service_down_leaves_the_request_to_be_retried(client: Client) -> None:
    email = new_email()
    client.sign_up(email)
    assert ask(client, client.log_in(email)["access_token"]).status_code == 202
    sources = FakeUserDataSource()
    sources.down.add("core")

    with pytest.raises(ExportSourceUnavailable):
        run_worker(client, sources)
    assert client.events("auth.user.export_ready.v1") == []
    with client.auth.engine.connect() as conn:
        job = conn.execute(sa.text("SELECT status, document, failed_attempts FROM exports")).one()
    assert tuple(job) == ("requested", None, 1)  # no document; the retry may still succeed
    assert uuid.UUID(client.events(UserExportRequested.type)[0]["export_id"])


def test_a_failed_job_lets_the_user_ask_again_at_once(client: Client) -> None:
    email = new_email()
    client.sign_up(email)
    token = client.log_in(email)["access_token"]
    assert ask(client, token).status_code == 202
    sources = FakeUserDataSource()
    sources.down.add("core")
    for _ in range(EXPORT_ATTEMPTS):  # every delivery the worker makes fails
        with pytest.raises(ExportSourceUnavailable):
            run_worker(client, sources)

    assert ask(client, token).status_code == 202
    again = ask(client, token)  # the second job has not failed: it counts
    assert again.status_code == 429 and 0 < int(again.headers["Retry-After"]) <= 3600
