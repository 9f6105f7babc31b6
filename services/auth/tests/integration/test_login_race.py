"""Parallel password guesses: the per-account budget is reserved before argon2 runs, so no
more guesses than the cap are ever checked, however many arrive at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from keel_auth.adapters.passwords import Argon2PasswordHasher
from keel_auth.bootstrap import bootstrap
from keel_auth.config import AuthSettings
from keel_auth.entrypoints.flask_app import create_app
from keel_common.testing import live_server

from .conftest import Client

GUESSES = 16
CAP = 10  # AuthPolicy.login_failures_per_account


class CountingHasher(Argon2PasswordHasher):
    def __init__(self) -> None:
        super().__init__(1, 7168, 1)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, password_hash: str | None, password: str) -> bool:
        with self._lock:
            self.verified += 1
        return super().verify(password_hash, password)


@pytest.fixture
def counted(settings: AuthSettings) -> Iterator[tuple[Client, CountingHasher]]:
    hasher = CountingHasher()
    auth = bootstrap(settings, hasher=hasher)
    try:
        with live_server(create_app(auth)) as base_url:
            yield Client(base_url, auth), hasher
    finally:
        auth.close()


def test_concurrent_guesses_check_at_most_the_cap(
    counted: tuple[Client, CountingHasher],
) -> None:
    client, hasher = counted
    client.sign_up()
    hasher.verified = 0
    start = threading.Barrier(GUESSES)

    def guess(n: int) -> int:
        start.wait()
        body = {"email": "ada@example.com", "password": f"guess number {n:04d}"}
        return client.post("/v1/auth/login", body).status_code

    with ThreadPoolExecutor(GUESSES) as pool:
        statuses = list(pool.map(guess, range(GUESSES)))

    assert hasher.verified <= CAP
    assert statuses.count(401) <= CAP
    assert statuses.count(429) >= GUESSES - CAP
