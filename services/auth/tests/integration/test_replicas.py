"""Two replicas of the web app sharing one database and Redis, as in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.entrypoints.cli import MIGRATIONS
from keel_auth.entrypoints.flask_app import create_app
from keel_common.auth import InvalidToken, create_token_verifier
from keel_common.testing import live_server
from keel_common.testing.plugin import upgrade_from_template

from .conftest import PASSWORD, make_settings, outbox_events

pytestmark = pytest.mark.redis


class Replicas(list[str]):
    """The replicas' base URLs; ``auth`` is the first one's service (to read its outbox)."""

    def __init__(self, urls: list[str], auth: Auth) -> None:
        super().__init__(urls)
        self.auth = auth

    def sign_up(self, body: dict[str, str]) -> None:
        """Sign up on the first replica and follow the welcome email's link."""
        assert post(self[0], "/v1/auth/signup", body).status_code == 202
        [event] = outbox_events(self.auth, "auth.user.registered.v1")
        token = event["verification_token"]
        assert post(self[1], "/v1/auth/email/verify", {"token": token}).status_code == 200


@pytest.fixture
def replicas(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Replicas]:
    upgrade_from_template(database_url, MIGRATIONS)
    # Separate local files per replica: only Redis may carry limits and revocations.
    settings = [make_settings(database_url, tmp_path / n, redis_url=redis_url) for n in "ab"]
    first, second = (bootstrap(each) for each in settings)
    try:
        with (
            live_server(create_app(first)) as first_url,
            live_server(create_app(second)) as second_url,
        ):
            yield Replicas([first_url, second_url], first)
    finally:
        first.close()
        second.close()


def post(base_url: str, path: str, body: dict, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(base_url + path, json=body, headers=headers, timeout=10)


def test_login_failures_are_counted_across_replicas(replicas: list[str]) -> None:
    signup = {"email": "ada@example.com", "password": PASSWORD}
    assert post(replicas[0], "/v1/auth/signup", signup).status_code == 202
    wrong = {"email": "ada@example.com", "password": "not the password"}
    statuses = [post(replicas[n % 2], "/v1/auth/login", wrong).status_code for n in range(10)]
    assert statuses == [401] * 10

    for base_url in replicas:
        assert post(base_url, "/v1/auth/login", signup).status_code == 429


def test_a_logout_on_one_replica_is_seen_by_every_verifier(
    replicas: Replicas, redis_url: str
) -> None:
    signup = {"email": "ada@example.com", "password": PASSWORD}
    replicas.sign_up(signup)
    pair = post(replicas[0], "/v1/auth/login", signup).json()
    other_service = create_token_verifier(
        jwks_url=f"{replicas[1]}/.well-known/jwks.json",
        issuer="keel-auth",
        audience="keel",
        redis_url=redis_url,
    )
    other_service.verify(pair["access_token"])

    assert post(replicas[0], "/v1/auth/logout", {}, pair["access_token"]).status_code == 204

    me = requests.get(
        f"{replicas[1]}/v1/auth/me",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
        timeout=10,
    )
    assert me.status_code == 401
    with pytest.raises(InvalidToken):
        other_service.verify(pair["access_token"])
