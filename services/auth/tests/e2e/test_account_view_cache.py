"""Read-your-writes through ``GET /v1/auth/me``'s cache with the real processes: two
``keel-auth web`` replicas of two gunicorn workers each on one PostgreSQL and one Redis,
and a cache Redis that dies mid-run (our own ``redis-server``, started again on its
append-only file so that it comes back holding what it held).

Each check is a write followed at once by reads on fresh connections, so they land on
either worker of either replica; none may see the account from before the write, nor
answer 200 for a session the write ended.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from keel_auth.bootstrap import bootstrap
from keel_auth.config import AuthSettings
from keel_auth.service_layer import accounts
from keel_common.testing.replicas import OwnRedis, WebReplicas, own_redis_server

pytestmark = pytest.mark.e2e
KEEL_AUTH = str(Path(sys.executable).parent / "keel-auth")
PASSWORD = "correct horse battery staple"
ROUNDS = 10


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[Callable[..., list[str]]]:
    """Start ``count`` ``keel-auth web`` replicas (``workers`` gunicorn workers each)."""
    started = WebReplicas(
        KEEL_AUTH, tmp_path, ENVIRONMENT="development", ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="7168",
    )  # fmt: skip
    yield started.start
    started.stop()


def _signed_in(
    database_url: str, tmp_path: Path, redis_url: str | None, email: str
) -> dict[str, str]:
    """An account made as the operator's CLI makes one, signed in twice: two sessions."""
    settings = AuthSettings(
        database_url=database_url, redis_url=redis_url, jwks_url="http://unused",
        argon2_time_cost=1, argon2_memory_kib=7168, rate_limit_path=tmp_path / "limits.db",
    )  # fmt: skip
    auth = bootstrap(settings)
    try:
        accounts.create_admin(email, PASSWORD, auth.uow(), hasher=auth.hasher, clock=auth.clock)
    finally:
        auth.close()
    return {"email": email, "password": PASSWORD}


def _log_in(base: str, credentials: dict[str, str]) -> dict[str, str]:
    response = requests.post(f"{base}/v1/auth/login", json=credentials, timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _me(bases: list[str], token: str) -> list[requests.Response]:
    """``/me`` on every replica, each twice, on fresh connections (so on either worker)."""
    headers = {"Authorization": f"Bearer {token}"}
    return [
        requests.get(f"{base}/v1/auth/me", headers=headers, timeout=10)
        for base in bases
        for _ in range(2)
    ]


def _patch_name(base: str, token: str, name: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/v1/auth/me"
    response = requests.patch(url, json={"name": name}, headers=headers, timeout=10)
    assert response.status_code == 200, response.text


def _logout_ends_that_session_alone(
    bases: list[str], credentials: dict[str, str], token: str
) -> None:
    """A second session, read until copied, logged out: refused everywhere at once, while
    ``token``'s session still answers."""
    other = _log_in(bases[1], credentials)
    for _ in range(2):
        _me(bases, other["access_token"])
    headers = {"Authorization": f"Bearer {other['access_token']}"}
    logout = requests.post(f"{bases[1]}/v1/auth/logout", headers=headers, timeout=10)
    assert logout.status_code == 204
    assert {r.status_code for r in _me(bases, other["access_token"])} == {401}
    assert {r.status_code for r in _me(bases, token)} == {200}


def test_read_your_writes_across_replicas_and_workers_sharing_redis(
    replicas: Callable[..., list[str]], postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    bases = replicas(postgres_url, count=2, REDIS_URL=redis_url)
    credentials = _signed_in(postgres_url, tmp_path, redis_url, "ada@example.com")
    token = _log_in(bases[0], credentials)["access_token"]
    for n in range(ROUNDS):
        for _ in range(3):  # a miss fills Redis, a hit is copied, then copies answer
            _me(bases, token)
        _patch_name(bases[n % 2], token, f"Ada {n}")
        assert {r.json()["name"] for r in _me(bases, token)} == {f"Ada {n}"}

    _logout_ends_that_session_alone(bases, credentials, token)
    metrics = requests.get(f"{bases[1]}/metrics", timeout=10).text
    assert 'keel_auth_account_view_cache_reads_total{result="hit"}' in metrics
    # Reads were also answered from copies in the processes (keel_common.cache.near), and
    # none saw the account from before a write or a session after its logout.
    assert 'keel_auth_account_view_cache_reads_total{result="near_hit"}' in metrics


def test_read_your_writes_on_the_embedded_default(
    replicas: Callable[..., list[str]], tmp_path: Path
) -> None:
    """No Redis: views are read from SQLite and copied into each process while the epoch in
    ``auth.db.views.epoch`` (``keel_common.cache.epoch``) stays; every commit moves it."""
    database_url = f"sqlite:///{tmp_path / 'auth.db'}"
    bases = replicas(database_url, count=2)
    credentials = _signed_in(database_url, tmp_path, None, "ada@example.com")
    token = _log_in(bases[0], credentials)["access_token"]
    for n in range(ROUNDS):
        for _ in range(2):  # a miss reads SQLite and is copied, then copies answer
            _me(bases, token)
        _patch_name(bases[n % 2], token, f"Ada {n}")
        assert {r.json()["name"] for r in _me(bases, token)} == {f"Ada {n}"}

    _logout_ends_that_session_alone(bases, credentials, token)
    assert (tmp_path / "auth.db.views.epoch").exists()
    metrics = requests.get(f"{bases[1]}/metrics", timeout=10).text
    assert 'keel_auth_account_view_cache_reads_total{result="near_hit"}' in metrics


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    with own_redis_server(tmp_path) as server:
        yield server


def test_a_redis_outage_degrades_to_the_database_and_replays_what_it_missed(
    replicas: Callable[..., list[str]], postgres_url: str, redis_url: str, tmp_path: Path,
    own_redis: OwnRedis,
) -> None:  # fmt: skip
    cache_url = own_redis.url
    # One worker: a lost invalidation is replayed by the process that lost it (the others
    # rely on the time-to-live, as core's product cache does).
    cache_env = {"REDIS_URL": redis_url, "ACCOUNT_VIEW_CACHE_URL": cache_url}
    [base] = replicas(postgres_url, workers=1, **cache_env)
    credentials = _signed_in(postgres_url, tmp_path, redis_url, "ada@example.com")
    token = _log_in(base, credentials)["access_token"]
    _patch_name(base, token, "Before")
    assert {r.json()["name"] for r in _me([base], token)} == {"Before"}  # cached now

    own_redis.stop()  # the cache is gone; its file keeps the old view
    _patch_name(base, token, "During")
    for _ in range(3):
        answers = _me([base], token)
        assert {r.status_code for r in answers} == {200}
        assert {r.json()["name"] for r in answers} == {"During"}

    own_redis.start()  # back, with the old view under the generation the write could not replace
    time.sleep(1.5)  # past RETRY_AFTER: the cache is asked again
    assert {r.json()["name"] for r in _me([base], token)} == {"During"}
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    assert 'keel_auth_account_view_cache_reads_total{result="unavailable"}' in metrics
    assert 'keel_auth_account_view_cache_invalidations_total{result="failed"}' in metrics
    assert 'keel_auth_account_view_cache_reads_total{result="hit"}' in metrics
