"""Signing in to the console with two-factor on: the password earns an ``mfa_token``, the
second form trades it with a code at auth's challenge API for the session."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from keel_console.adapters.api import ApiError
from keel_console.adapters.session import COOKIE, ConsoleSession
from keel_console.config import ConsoleSettings
from keel_console.entrypoints.flask_app import create_app

SECRET = "unit-test-console-cookie-key-0123456789"
CODE = "123456"


class FakeMfaApi:
    """auth's login answers ``mfa_required``; the challenge accepts ``CODE`` once."""

    def __init__(self) -> None:
        self.challenges: list[tuple[str, dict[str, str]]] = []

    def login(self, email: str, password: str, client_ip: str | None) -> dict[str, Any]:
        return {"mfa_required": True, "mfa_token": "the-mfa-token"}

    def mfa_challenge(
        self, mfa_token: str, answer: dict[str, str], client_ip: str | None
    ) -> dict[str, Any]:
        self.challenges.append((mfa_token, answer))
        if mfa_token != "the-mfa-token" or answer not in ({"code": CODE}, {"recovery_code": "r"}):
            raise ApiError(401, {"detail": "wrong or already used code"})
        return {"access_token": "access", "refresh_token": "refresh"}

    def logout(self, session: ConsoleSession) -> None: ...

    def call(self, session: ConsoleSession, method: str, path: str, **_: Any) -> dict[str, Any]:
        return {"documents": 0, "last_rebuild": None, "queues": [], "by_currency": []}


@pytest.fixture
def api() -> FakeMfaApi:
    return FakeMfaApi()


@pytest.fixture
def app(api: FakeMfaApi) -> Flask:
    settings = ConsoleSettings(console_secret_key=SECRET, console_cookie_secure=False)
    app = create_app(settings)
    settings_, seal, _ = app.extensions["keel_console"]
    app.extensions["keel_console"] = (settings_, seal, api)
    return app


def test_the_password_leads_to_the_code_form_then_the_code_signs_in(
    app: Flask, api: FakeMfaApi
) -> None:
    client = app.test_client()
    form = client.post("/admin/login", data={"email": "ops@example.com", "password": "x"})
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and 'name="code"' in page
    assert 'name="mfa_token" value="the-mfa-token"' in page
    assert client.get_cookie(COOKIE, path="/admin/") is None  # not signed in yet

    data = {"email": "ops@example.com", "mfa_token": "the-mfa-token", "code": CODE}
    signed_in = client.post("/admin/login/mfa", data=data)
    assert signed_in.status_code == 302
    assert client.get_cookie(COOKIE, path="/admin/") is not None
    assert api.challenges == [("the-mfa-token", {"code": CODE})]


def test_a_recovery_code_works_too(app: Flask, api: FakeMfaApi) -> None:
    data = {"email": "ops@example.com", "mfa_token": "the-mfa-token", "recovery_code": "r"}
    assert app.test_client().post("/admin/login/mfa", data=data).status_code == 302
    assert api.challenges == [("the-mfa-token", {"recovery_code": "r"})]


def test_a_wrong_code_shows_the_form_again_without_a_session(app: Flask) -> None:
    client = app.test_client()
    data = {"email": "ops@example.com", "mfa_token": "the-mfa-token", "code": "000000"}
    response = client.post("/admin/login/mfa", data=data)
    assert response.status_code == 401
    assert "wrong or already used code" in response.get_data(as_text=True)
    assert client.get_cookie(COOKIE, path="/admin/") is None
