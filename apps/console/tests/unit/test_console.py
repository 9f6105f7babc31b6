"""The console's own rules, without any service: the sealed session, CSRF, headers, 403."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from keel_console.adapters.api import ApiError
from keel_console.adapters.session import COOKIE, ConsoleSession, SessionSeal
from keel_console.config import ConsoleSettings
from keel_console.entrypoints.flask_app import create_app

SECRET = "unit-test-console-cookie-key-0123456789"


class FakeApi:
    """Answers admin calls from a table; ``refuse`` makes every call a 403."""

    def __init__(self) -> None:
        self.refuse = False
        #: The dead-letter APIs' answer: a status to refuse with, or their queues.
        self.dead_letters: int | None = None
        self.calls: list[tuple[str, str]] = []

    def login(self, email: str, password: str, client_ip: str | None) -> dict[str, Any]:
        return {"access_token": "access", "refresh_token": "refresh"}

    def logout(self, session: ConsoleSession) -> None:
        self.calls.append(("logout", session.refresh_token))

    def call(self, session: ConsoleSession, method: str, path: str, **_: Any) -> dict[str, Any]:
        self.calls.append((method, path))
        if self.refuse:
            raise ApiError(403, {"detail": "the back-office is for staff and admins"})
        if path.endswith("/dead-letters"):
            if self.dead_letters is not None:
                raise ApiError(self.dead_letters, {"detail": "no"})
            service = path.split("/")[3]
            return {"queues": [{"queue": f"{service}.q", "dead_queue": "d", "dead_letters": 2}]}
        if path == "/v1/admin/orders/today":
            return {"since": "2026-12-05T00:00:00+00:00", "by_currency": []}
        return {"documents": 3, "last_rebuild": None, "pending_changes": 7, "failed_last_hour": 4}


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def app(api: FakeApi) -> Flask:
    settings = ConsoleSettings(console_secret_key=SECRET, console_cookie_secure=False)
    app = create_app(settings)
    settings_, seal, _ = app.extensions["keel_console"]
    app.extensions["keel_console"] = (settings_, seal, api)
    return app


def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/admin/login", data={"email": "ops@example.com", "password": "x"})
    assert response.status_code == 302
    return client


def test_pages_forbid_every_script_and_are_never_cached(app: Flask) -> None:
    response = app.test_client().get("/admin/login")
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_sealed_httponly_and_strict(app: Flask) -> None:
    client = _signed_in(app)
    cookie = client.get_cookie(COOKIE, path="/admin/")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    assert "access" not in cookie.value and "refresh" not in cookie.value


def test_a_session_ends_after_the_idle_limit() -> None:
    seal = SessionSeal(SECRET, idle_seconds=1800)
    sealed = seal.seal(ConsoleSession.start("ops@example.com", "a", "r"))
    now = int(time.time())
    assert seal.open(sealed, now=now + 1799) is not None
    assert seal.open(sealed, now=now + 1801) is None
    assert SessionSeal("another-key-entirely-0123456789abcdef", 1800).open(sealed) is None


def test_a_form_without_the_csrf_token_is_refused(app: Flask, api: FakeApi) -> None:
    client = _signed_in(app)
    response = client.post("/admin/search/rebuilds", data={})
    assert response.status_code == 403
    assert ("POST", "/v1/admin/search/rebuilds") not in api.calls


def test_a_form_from_another_origin_is_refused(app: Flask) -> None:
    response = app.test_client().post(
        "/admin/login", data={"email": "a@b.c"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_a_non_staff_account_is_told_it_is_not_allowed(app: Flask, api: FakeApi) -> None:
    client = _signed_in(app)
    api.refuse = True
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


def test_signing_out_ends_the_session_at_auth_and_here(app: Flask, api: FakeApi) -> None:
    client = _signed_in(app)
    page = client.get("/admin/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert ("logout", "refresh") in api.calls
    assert client.get_cookie(COOKIE, path="/admin/") is None
    assert client.get("/admin/").headers["Location"].endswith("/admin/login")


def test_the_dashboard_and_the_search_page_show_the_index_lag(app: Flask) -> None:
    client = _signed_in(app)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert '<span class="figure">7</span> product changes waiting' in dashboard
    assert '<span class="figure">4</span> messages of the last hour failed' in dashboard
    search = client.get("/admin/search").get_data(as_text=True)
    assert "7 product changes from core waiting" in search


def test_the_dashboard_shows_each_queues_dead_letters_to_an_admin(app: Flask) -> None:
    page = _signed_in(app).get("/admin/").get_data(as_text=True)
    assert "<td>notification.q</td><td>2</td>" in page
    assert "<td>search.q</td><td>2</td>" in page


@pytest.mark.parametrize(
    ("status", "shown"), [(403, "Staff and admins see"), (503, "unavailable (503)")]
)
def test_the_dashboard_without_dead_letters_still_answers(
    app: Flask, api: FakeApi, status: int, shown: str
) -> None:
    api.dead_letters = status
    response = _signed_in(app).get("/admin/")
    assert response.status_code == 200
    assert shown in response.get_data(as_text=True)
