"""The Users pages without any service: what they ask auth, and the confirmation step."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from keel_console.adapters.session import ConsoleSession
from keel_console.config import ConsoleSettings
from keel_console.entrypoints.flask_app import create_app

SECRET = "unit-test-console-cookie-key-0123456789"
USER_ID = "6f1c1f55-8f4e-4a43-9c59-0d5b7f0b1e11"
USER = {
    "id": USER_ID, "email": "ada@example.com", "name": "Ada", "phone": None,
    "phone_verified": False, "pending_phone": None, "email_verified": True,
    "roles": ["user"], "created_at": "2026-12-05T03:00:00+00:00", "disabled": False,
    "disabled_at": None, "disabled_reason": None,
}  # fmt: skip


class FakeAuthApi:
    """Answers auth's admin calls; ``viewer_roles`` are the signed-in operator's."""

    def __init__(self) -> None:
        self.viewer_roles = ["staff"]
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def login(self, email: str, password: str, client_ip: str | None) -> dict[str, Any]:
        return {"access_token": "access", "refresh_token": "refresh"}

    def logout(self, session: ConsoleSession) -> None:
        pass

    def call(self, session: ConsoleSession, method: str, path: str, **kw: Any) -> dict[str, Any]:
        self.calls.append((method, path, kw))
        if path == "/v1/auth/me":
            return {"roles": self.viewer_roles}
        if path == "/v1/admin/users/stats":
            return {"signups_today": 4, "signups_last_7_days": 31}
        if path == "/v1/admin/users" or path.endswith("/audit"):
            return {"items": [USER] if path == "/v1/admin/users" else [], "next_cursor": None}
        if path.startswith("/v1/admin/users/"):
            return {"user": USER, "sessions": []}
        return {"since": "x", "by_currency": [], "documents": 0, "last_rebuild": None,
                "queues": []}  # fmt: skip


@pytest.fixture
def api() -> FakeAuthApi:
    return FakeAuthApi()


@pytest.fixture
def client(api: FakeAuthApi) -> FlaskClient:
    settings = ConsoleSettings(console_secret_key=SECRET, console_cookie_secure=False)
    app: Flask = create_app(settings)
    settings_, seal, _ = app.extensions["keel_console"]
    app.extensions["keel_console"] = (settings_, seal, api)
    client = app.test_client()
    client.post("/admin/login", data={"email": "ops@example.com", "password": "x"})
    return client


def csrf(client: FlaskClient) -> str:
    page = client.get("/admin/users").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("ada@", {"email_prefix": "ada@"}),
        ("+14155550123", {"phone": "+14155550123"}),
        (USER_ID, {"id": USER_ID}),
        ("", {}),
    ],
)
def test_one_search_box_finds_by_email_prefix_phone_or_id(
    client: FlaskClient, api: FakeAuthApi, typed: str, sent: dict[str, str]
) -> None:
    page = client.get("/admin/users", query_string={"q": typed})
    assert page.status_code == 200
    assert "ada@example.com" in page.get_data(as_text=True)
    assert ("GET", "/v1/admin/users", {"params": sent}) in api.calls


def test_the_dashboard_shows_signups_and_links_to_users(client: FlaskClient) -> None:
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="signups-today">4<' in page and 'id="signups-week">31<' in page
    assert 'href="/admin/users"' in page


def test_only_admins_are_offered_the_roles_form(client: FlaskClient, api: FakeAuthApi) -> None:
    staff_page = client.get(f"/admin/users/{USER_ID}").get_data(as_text=True)
    assert "Save roles" not in staff_page and "Revoke all sessions" in staff_page
    api.viewer_roles = ["admin"]
    assert "Save roles" in client.get(f"/admin/users/{USER_ID}").get_data(as_text=True)


def test_an_action_is_confirmed_before_it_is_sent(client: FlaskClient, api: FakeAuthApi) -> None:
    token = csrf(client)
    form = {"csrf_token": token, "reason": "ticket 9"}
    path = f"/v1/admin/users/{USER_ID}/disable"

    asked = client.post(f"/admin/users/{USER_ID}/disable", data=form)
    assert asked.status_code == 200 and "Yes, disable account" in asked.get_data(as_text=True)
    assert not [c for c in api.calls if c[1] == path]

    done = client.post(f"/admin/users/{USER_ID}/disable", data={**form, "confirmed": "yes"})
    assert done.status_code == 302
    assert ("POST", path, {"json": {"reason": "ticket 9"}}) in api.calls


def test_an_action_without_the_csrf_token_is_refused(client: FlaskClient, api: FakeAuthApi) -> None:
    data = {"reason": "x", "confirmed": "yes"}
    response = client.post(f"/admin/users/{USER_ID}/revoke", data=data)
    assert response.status_code == 403
    assert not [c for c in api.calls if c[0] == "POST"]
