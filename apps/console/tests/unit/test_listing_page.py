"""Unlist / relist from the product page (a confirmation page first, then core's admin API
with the operator's reason; never without the CSRF token), and the Messages pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from keel_console.adapters.session import ConsoleSession
from keel_console.config import ConsoleSettings
from keel_console.entrypoints.flask_app import create_app

SECRET = "unit-test-console-cookie-key-0123456789"
PID = "4b8f0c7e-1111-4222-8333-444455556666"
PRODUCT = {
    "id": PID,
    "owner_id": "5b8f0c7e-1111-4222-8333-444455556666",
    "title": "Oak stool",
    "description": "",
    "price_cents": 100,
    "currency": "EUR",
    "category": "furniture",
    "stock": 1,
    "version": 3,
    "updated_at": "2026-12-05T03:00:00+00:00",
    "listed": False,
    "unlisted_reason": "counterfeit report 7",
}

MESSAGE = {
    "id": PID,
    "user_id": None,
    "event_id": PID,
    "channel": "email",
    "category": "transactional",
    "template": "password_reset",
    "status": "failed",
    "attempts": 5,
    "provider": "smtp",
    "provider_message_id": None,
    "error": "smtp timed out",
    "created_at": "2026-12-05T03:00:00+00:00",
    "sent_at": None,
}


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def login(self, email: str, password: str, client_ip: str | None) -> dict[str, Any]:
        return {"access_token": "access", "refresh_token": "refresh"}

    def call(self, session: ConsoleSession, method: str, path: str, **kw: Any) -> dict[str, Any]:
        self.calls.append((method, path, kw.get("json")))
        if path.endswith("/resend"):
            return {"items": [MESSAGE]}
        if path.startswith("/v1/admin/notifications/"):
            return MESSAGE
        return PRODUCT if method == "POST" else {"items": [PRODUCT], "next_cursor": None}


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


def _page(client: FlaskClient) -> str:
    return client.get(f"/admin/products/{PID}").get_data(as_text=True)


def _csrf(client: FlaskClient) -> str:
    return _page(client).split('name="csrf_token" value="')[1].split('"')[0]


def test_the_product_page_shows_why_it_is_unlisted_and_offers_relist(client: FlaskClient) -> None:
    page = _page(client)
    assert "counterfeit report 7" in page
    assert f"/admin/products/{PID}/relist" in page


def test_relist_asks_first_then_calls_core_with_the_reason(
    client: FlaskClient, api: FakeApi
) -> None:
    form = {"csrf_token": _csrf(client), "reason": "cleared"}
    confirm = client.post(f"/admin/products/{PID}/relist", data=form)
    assert confirm.status_code == 200 and "Yes, relist" in confirm.get_data(as_text=True)
    assert not [c for c in api.calls if c[0] == "POST"]

    done = client.post(f"/admin/products/{PID}/relist", data=form | {"confirmed": "yes"})

    assert done.status_code == 302
    assert ("POST", f"/v1/admin/products/{PID}/relist", {"reason": "cleared"}) in api.calls


def test_without_the_csrf_token_nothing_is_sent(client: FlaskClient, api: FakeApi) -> None:
    form = {"reason": "x", "confirmed": "yes"}
    response = client.post(f"/admin/products/{PID}/unlist", data=form)
    assert response.status_code == 403
    assert not [c for c in api.calls if c[0] == "POST"]


def test_the_messages_pages_call_notifications_delivery_log(
    client: FlaskClient, api: FakeApi
) -> None:
    api.calls.clear()
    client.get("/admin/messages", query_string={"recipient": "+15550100"})
    assert api.calls == [("GET", "/v1/admin/notifications", None)]
    page = client.get(f"/admin/messages/{PID}").get_data(as_text=True)
    assert "smtp timed out" in page and "password_reset" in page


def test_a_failed_message_offers_resend_which_calls_notification_with_the_reason(
    client: FlaskClient, api: FakeApi
) -> None:
    page = client.get(f"/admin/messages/{PID}").get_data(as_text=True)
    assert f"/admin/messages/{PID}/resend" in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(
        f"/admin/messages/{PID}/resend", data={"csrf_token": csrf, "reason": "mailbox fixed"}
    )
    assert done.status_code == 302
    assert ("POST", f"/v1/admin/notifications/{PID}/resend", {"reason": "mailbox fixed"}) in (
        api.calls
    )
