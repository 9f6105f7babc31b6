"""The Dead letters pages: each message's envelope and first error, replay and discard sent to
the service that owns the queue with the operator's reason, never without the CSRF token."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from keel_console.adapters.session import ConsoleSession
from keel_console.config import ConsoleSettings
from keel_console.entrypoints.flask_app import create_app

SECRET = "unit-test-console-cookie-key-0123456789"
QUEUE_API = "/v1/admin/search/dead-letters/search.products"
LETTER = {
    "message_id": "4b8f0c7e-1111-4222-8333-444455556666",
    "type": "core.product.updated.v1",
    "source": "keel-core",
    "time": "2026-12-05T03:00:00+00:00",
    "subject": None,
    "data": {"title": "Oak stool", "token": "[REDACTED]"},
    "error": "RuntimeError: the index is down",
    "dead_lettered_at": "2026-12-05T03:05:00+00:00",
}


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def login(self, email: str, password: str, client_ip: str | None) -> dict[str, Any]:
        return {"access_token": "access", "refresh_token": "refresh"}

    def call(self, session: ConsoleSession, method: str, path: str, **kw: Any) -> dict[str, Any]:
        self.calls.append((method, path, kw.get("json")))
        if method == "POST":
            return {"queue": "search.products", "count": 1}
        if path.endswith("/audit"):
            record = {
                "occurred_at": "2026-12-05T03:10:00+00:00",
                "action": "dead_letter.replayed",
                "actor_id": "a1",
                "target_type": "dead_letter",
                "target_id": "t1",
                "reason": "ticket 31",
                "details": {"count": 1},
            }
            return {"items": [record], "next_cursor": "c2"}
        if path == QUEUE_API:
            return {
                "queue": "search.products",
                "dead_queue": "search.products.dead",
                "dead_letters": 1,
                "items": [LETTER],
            }
        return {"queues": [{"queue": "q", "dead_queue": "q.dead", "dead_letters": 0}]}


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def client(api: FakeApi) -> FlaskClient:
    settings = ConsoleSettings(console_secret_key=SECRET, console_cookie_secure=False)
    app: Flask = create_app(settings)
    settings_, seal, _ = app.extensions["keel_console"]
    app.extensions["keel_console"] = (settings_, seal, api)
    client = app.test_client()
    client.post("/admin/login", data={"email": "ops@example.com", "password": "x"})
    return client


def _csrf(client: FlaskClient) -> str:
    page = client.get("/admin/dead-letters/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_queue_page_shows_each_envelope_its_error_and_redacted_data(client: FlaskClient) -> None:
    page = client.get("/admin/dead-letters/search/search.products").get_data(as_text=True)
    assert LETTER["message_id"] in page and "RuntimeError: the index is down" in page
    assert "[REDACTED]" in page and "core.product.updated.v1" in page
    assert f"Replay {LETTER['message_id'][:8]}" in page and "Discard all" in page


def test_replay_sends_the_message_id_and_reason_to_the_owning_service(
    client: FlaskClient, api: FakeApi
) -> None:
    form = {"csrf_token": _csrf(client), "message_id": LETTER["message_id"], "reason": "ticket 31"}
    response = client.post("/admin/dead-letters/search/search.products/replay", data=form)
    assert response.status_code == 302 and "done=replay" in response.headers["Location"]
    body = {"reason": "ticket 31", "message_id": LETTER["message_id"]}
    assert ("POST", f"{QUEUE_API}/replay", body) in api.calls


def test_discard_all_sends_no_message_id(client: FlaskClient, api: FakeApi) -> None:
    form = {"csrf_token": _csrf(client), "reason": "poison"}
    client.post("/admin/dead-letters/search/search.products/discard", data=form)
    assert ("POST", f"{QUEUE_API}/discard", {"reason": "poison"}) in api.calls


def test_an_action_without_the_csrf_token_is_refused(client: FlaskClient, api: FakeApi) -> None:
    response = client.post("/admin/dead-letters/search/search.products/discard", data={})
    assert response.status_code == 403
    assert not [c for c in api.calls if c[0] == "POST"]


def test_an_unknown_service_is_not_found(client: FlaskClient) -> None:
    assert client.get("/admin/dead-letters/billing/x").status_code == 404


def test_the_audit_log_reads_the_chosen_trail_with_its_filters(
    client: FlaskClient, api: FakeApi
) -> None:
    response = client.get("/admin/audit/?service=search&actor_id=a1&target_id=t1")
    assert response.status_code == 200
    assert ("GET", "/v1/admin/search/audit", None) in api.calls
    page = response.get_data(as_text=True)
    assert "dead_letter.replayed" in page and "ticket 31" in page
    assert "cursor=c2" in page and "actor_id=a1" in page  # the next page keeps the filters
    assert client.get("/admin/audit/?service=billing").status_code == 404
