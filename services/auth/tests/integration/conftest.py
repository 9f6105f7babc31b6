"""The auth service on a real socket, a real database (SQLite and PostgreSQL, migrated with
Alembic) and real argon2; helpers to drive it like a client app does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.config import AuthSettings
from keel_auth.domain.model import User
from keel_auth.entrypoints.cli import MIGRATIONS
from keel_auth.entrypoints.flask_app import create_app
from keel_auth.service_layer import accounts
from keel_common.testing import live_server
from keel_common.testing.plugin import upgrade_from_template

PASSWORD = "correct horse battery staple"


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "rate_limit_path": tmp_path / "rate-limits.db",
        "revocations_path": tmp_path / "revoked-sessions.db",
        # The smallest argon2 cost the settings allow: real hashing, fast tests.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 7168,
        "jwks_url": "http://unused",
        **overrides,
    }
    return AuthSettings(**values)


@dataclass
class Client:
    """A client app talking to the service over HTTP, plus a peek into its database."""

    base_url: str
    auth: Auth

    def post(
        self,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        return requests.post(self.base_url + path, json=body, headers=headers, timeout=10)

    def get(self, path: str, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(self.base_url + path, headers=headers, timeout=10)

    def put(self, path: str, body: Any, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.put(self.base_url + path, json=body, headers=headers, timeout=10)

    def sign_up(
        self, email: str = "ada@example.com", *, verify: bool = True, **fields: Any
    ) -> dict[str, Any]:
        """Sign up (202) and, unless ``verify`` is False, follow the welcome email's link as
        the user would; the account as ``/me`` shows it (or as stored, when unverified)."""
        response = self.post("/v1/auth/signup", {"email": email, "password": PASSWORD, **fields})
        assert response.status_code == 202, response.text
        registered = [e for e in self.events("auth.user.registered.v1") if e["email"] == email]
        if not verify:
            return registered[-1]
        pair = self.verify_email(registered[-1]["verification_token"])
        if fields.get("phone"):
            self.prove_phone(pair["access_token"], fields["phone"])
        me = self.get("/v1/auth/me", pair["access_token"])
        assert me.status_code == 200, me.text
        return dict(me.json())

    def prove_phone(self, access_token: str, phone: str) -> dict[str, Any]:
        """``POST /v1/auth/phone``, then the texted code back to ``/phone/verify``."""
        response = self.post("/v1/auth/phone", {"phone": phone}, access_token)
        assert response.status_code == 202, response.text
        code = self.events("auth.phone.verification_requested.v1")[-1]["code"]
        body = {"phone": phone, "code": code}
        response = self.post("/v1/auth/phone/verify", body, access_token)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def verify_email(self, token: str) -> dict[str, Any]:
        response = self.post("/v1/auth/email/verify", {"token": token})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def log_in(self, email: str = "ada@example.com", password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/v1/auth/login", {"email": email, "password": password})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def create_admin(self, email: str) -> User:
        """What ``keel-auth create-admin`` does (the operator's CLI)."""
        return accounts.create_admin(
            email, PASSWORD, self.auth.uow(), hasher=self.auth.hasher, clock=self.auth.clock
        )

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """The data of the events of ``event_type`` staged in the outbox, oldest first."""
        return outbox_events(self.auth, event_type)


def outbox_events(auth: Auth, event_type: str) -> list[dict[str, Any]]:
    table = sa.Table("outbox", sa.MetaData(), autoload_with=auth.engine)
    with auth.engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.pk)).mappings().all()
    found = []
    for row in rows:
        payload = row.get("payload") or row.get("body") or row.get("envelope")
        envelope = json.loads(payload) if isinstance(payload, str | bytes) else payload
        if envelope is None:
            envelope = {"type": row["type"], "data": row["data"]}
        if envelope["type"] == event_type:
            data = envelope["data"]
            found.append(json.loads(data) if isinstance(data, str) else data)
    return found


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> AuthSettings:
    upgrade_from_template(database_url, MIGRATIONS)
    return make_settings(database_url, tmp_path)


@pytest.fixture
def auth(settings: AuthSettings) -> Iterator[Auth]:
    auth = bootstrap(settings)
    yield auth
    auth.close()


@pytest.fixture
def client(settings: AuthSettings, auth: Auth) -> Iterator[Client]:
    with live_server(create_app(auth)) as base_url:
        yield Client(base_url, auth)


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"
