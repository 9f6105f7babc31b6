"""``GET /v1/auth/me`` served from Redis on SQLite and PostgreSQL: each write that changes
what it shows, or ends the session, is read at once by the next call, though the call
before it filled the cache; and a bulk write that would slip past the invalidation fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from prometheus_client import REGISTRY

from keel_auth.adapters import view_changes
from keel_auth.adapters.orm import users
from keel_auth.adapters.repository import SqlAlchemyAuthUnitOfWork
from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.config import AuthSettings
from keel_auth.entrypoints.flask_app import create_app
from keel_common.testing import eventually, live_server

from .conftest import PASSWORD, Client, make_settings

pytestmark = pytest.mark.redis
PHONE = "+14155550123"


@pytest.fixture
def settings(settings: AuthSettings, tmp_path: Path, redis_url: str) -> AuthSettings:
    return make_settings(settings.database_url, tmp_path, redis_url=redis_url)


@pytest.fixture(params=["shared", "apart"])
def cached(request: pytest.FixtureRequest, settings: AuthSettings) -> Iterator[Client]:
    """Auth with its view cache in REDIS_URL's Redis (the denylist read with the view) or,
    named by another URL, apart from it: then the invalidation alone must end sessions."""
    if request.param == "apart":
        apart = settings.redis_url.replace("127.0.0.1", "localhost")  # type: ignore[union-attr]
        assert apart != settings.redis_url
        settings = settings.model_copy(update={"account_view_cache_url": apart})
    auth = bootstrap(settings)
    try:
        with live_server(create_app(auth)) as base_url:
            yield Client(base_url, auth)
    finally:
        auth.close()


def me(client: Client, token: str) -> requests.Response:
    """Twice, so the first of the next pair would be a hit if the write were missed; a hit
    answers the very bytes and type the miss before it rendered."""
    first, second = client.get("/v1/auth/me", token), client.get("/v1/auth/me", token)
    assert first.status_code == second.status_code
    if first.status_code == 200:
        assert first.content == second.content
        assert first.headers["Content-Type"] == second.headers["Content-Type"]
        assert second.headers["Content-Type"] == "application/json"
    return second


def near_hits() -> float:
    """``/me`` calls this process answered from its copies so far."""
    sample = "keel_auth_account_view_cache_reads_total"
    return REGISTRY.get_sample_value(sample, {"result": "near_hit"}) or 0.0


def call(client: Client, method: str, path: str, token: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    url = client.base_url + path
    response = requests.request(method, url, json=body, headers=headers, timeout=10)
    assert response.status_code < 300, response.text
    return response


def test_every_change_of_the_account_is_read_at_once(cached: Client) -> None:
    cached.sign_up()  # the email is verified before any session exists (no login before)
    token = cached.log_in()["access_token"]
    admin = cached.create_admin("root@example.com")
    root = cached.log_in("root@example.com")["access_token"]
    assert me(cached, token).json()["name"] is None

    call(cached, "PATCH", "/v1/auth/me", token, {"name": "Ada", "locale": "fr"})
    assert (me(cached, token).json()["name"], me(cached, token).json()["locale"]) == ("Ada", "fr")

    cached.prove_phone(token, PHONE)
    assert me(cached, token).json()["phone"] == PHONE

    change = {"new_email": "countess@example.com", "password": PASSWORD}
    call(cached, "POST", "/v1/auth/email/change", token, change)
    confirmation = cached.events("auth.email.change_requested.v1")[-1]["confirmation_token"]
    cached.post("/v1/auth/email/change/confirm", {"token": confirmation})
    assert me(cached, token).status_code == 401  # the move ends every session
    token = cached.log_in("countess@example.com")["access_token"]
    assert me(cached, token).json()["email"] == "countess@example.com"

    user_id = me(cached, token).json()["id"]
    body = {"roles": ["staff"], "reason": "joined support"}
    call(cached, "PUT", f"/v1/admin/users/{user_id}/roles", root, body)
    assert me(cached, token).status_code == 401  # new roles, new tokens: sessions end
    token = cached.log_in("countess@example.com")["access_token"]
    assert me(cached, token).json()["roles"] == ["staff"]

    # Another account proves the same number: it is taken from this one (a bulk UPDATE).
    cached.sign_up("bob@example.com")
    cached.prove_phone(cached.log_in("bob@example.com")["access_token"], PHONE)
    assert me(cached, token).json()["phone"] is None
    assert admin.id != user_id


@pytest.mark.parametrize(
    "end",
    ["logout", "password change", "admin revokes", "admin disables", "deletion", "token reuse"],
)
def test_a_session_ended_by_any_write_is_refused_at_once(cached: Client, end: str) -> None:
    cached.sign_up()
    pair, other = cached.log_in(), cached.log_in()
    cached.create_admin("root@example.com")
    root = cached.log_in("root@example.com")["access_token"]
    token = pair["access_token"]
    user_id = me(cached, token).json()["id"]
    me(cached, other["access_token"])
    reason = {"reason": "support ticket 42"}

    if end == "logout":
        call(cached, "POST", "/v1/auth/logout", token)
    elif end == "password change":
        body = {"current_password": PASSWORD, "new_password": "another long passphrase 42"}
        call(cached, "POST", "/v1/auth/password/change", other["access_token"], body)
    elif end == "admin revokes":
        call(cached, "POST", f"/v1/admin/users/{user_id}/sessions/revoke", root, reason)
    elif end == "admin disables":
        call(cached, "POST", f"/v1/admin/users/{user_id}/disable", root, reason)
    elif end == "deletion":
        call(cached, "DELETE", "/v1/auth/me", token, {"password": PASSWORD})
    else:
        refreshed = cached.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 200
        replay = cached.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})
        assert replay.status_code == 401

    assert me(cached, token).status_code == 401


def test_a_revoked_session_is_refused_where_the_invalidation_never_arrived(
    settings: AuthSettings,
) -> None:
    """Two processes with the view cache in a Redis apart from the denylist's: the one that
    ends the session cannot reach the cache (its invalidation is lost), the other holds the
    session's view, filled under the generation still current. The denylist, written before
    the commit, refuses the session there all the same."""
    apart = settings.redis_url.replace("127.0.0.1", "localhost")  # type: ignore[union-attr]
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    reader = bootstrap(settings.model_copy(update={"account_view_cache_url": apart}))
    writer = bootstrap(settings.model_copy(update={"account_view_cache_url": unreachable}))
    try:
        with live_server(create_app(reader)) as reading, live_server(create_app(writer)) as writing:
            here, there = Client(reading, reader), Client(writing, writer)
            here.sign_up()
            token = here.log_in()["access_token"]
            assert me(here, token).status_code == 200  # the view is cached now
            call(there, "POST", "/v1/auth/logout", token)
            assert me(there, token).status_code == 401
            assert me(here, token).status_code == 401
    finally:
        reader.close()
        writer.close()


def test_a_session_whose_revoking_commit_failed_is_refused_where_its_view_was_copied(
    cached: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The denylist is written before the revoking commit; when that commit fails, no
    invalidation follows it. The view this process copied (answered with no round trip)
    must not answer for the session all the same: the denylist's write was announced."""
    cached.sign_up()
    token = cached.log_in()["access_token"]
    user_id = uuid.UUID(me(cached, token).json()["id"])
    copied = near_hits()
    eventually(
        lambda: me(cached, token).status_code == 200 and near_hits() > copied,
        "/me answered from the process's copy",
    )

    def lost_connection(self: SqlAlchemyAuthUnitOfWork) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    with monkeypatch.context() as failing:
        failing.setattr(SqlAlchemyAuthUnitOfWork, "commit", lost_connection)
        assert cached.post("/v1/auth/logout", {}, token).status_code >= 500
    assert me(cached, token).status_code == 401
    with cached.auth.uow() as uow:  # the database still has the session live
        assert uow.sessions.active_for_user(user_id)


def test_a_bulk_write_to_the_view_tables_must_name_its_users(auth: Auth) -> None:
    with auth.uow() as uow, pytest.raises(RuntimeError, match="must name the users"):
        uow.session.execute(sa.update(users).values(locale="fr"))  # type: ignore[attr-defined]


def test_a_bulk_write_naming_its_users_is_invalidated(auth: Auth) -> None:
    with auth.uow() as uow:
        statement = sa.update(users).where(users.c.id.in_([])).values(locale="fr")
        session = uow.session  # type: ignore[attr-defined]
        session.execute(statement.execution_options(**view_changes.touching(["u1", "u2"])))
        assert view_changes.changed_users(session) == {"u1", "u2"}


def test_closing_the_service_ends_its_copies_lease(settings: AuthSettings) -> None:
    """``close()`` takes this process's holder off the leases at once: left renewing, it would
    keep writing to Redis after the service is gone (and make every writer wait for it)."""
    import redis

    from keel_auth.adapters.view_cache import NEAR_PREFIX

    leases = redis.Redis.from_url(str(settings.redis_url))
    auth = bootstrap(settings)
    try:
        with live_server(create_app(auth)) as base_url:
            client = Client(base_url, auth)
            client.sign_up(email="lease@example.com")
            token = client.log_in("lease@example.com")["access_token"]
            me(client, token)  # the first read starts the holder
            eventually(lambda: leases.zcard(f"{NEAR_PREFIX}:leases"), "the holder's lease")
    finally:
        auth.close()
    assert leases.zcard(f"{NEAR_PREFIX}:leases") == 0
