"""Signing keys in the database: encrypted at rest, rotated ahead of use, pruned after."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from keel_auth.adapters.orm import signing_keys
from keel_auth.adapters.signing_keys import SigningKeyStore
from keel_auth.entrypoints.cli import MIGRATIONS
from keel_common.db import create_engine
from keel_common.testing.plugin import upgrade_from_template


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    upgrade_from_template(database_url, MIGRATIONS)
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def store(engine: sa.Engine, clock: Clock, passphrase: bytes | None = b"s3cret") -> SigningKeyStore:
    return SigningKeyStore(engine, passphrase, clock, timedelta(minutes=15), refresh_seconds=0)


def test_private_keys_are_encrypted_at_rest(engine: sa.Engine) -> None:
    store(engine, Clock()).ensure_key()
    with engine.connect() as conn:
        pem = conn.execute(sa.select(signing_keys.c.private_key_pem)).scalar_one()
    assert "BEGIN ENCRYPTED PRIVATE KEY" in pem


def test_ensure_key_creates_one_key_once(engine: sa.Engine) -> None:
    keys = store(engine, Clock())
    keys.ensure_key()
    keys.ensure_key()
    assert len(keys.jwks()["keys"]) == 1


def test_processes_starting_together_on_a_fresh_database_create_one_key(
    database_url: str, engine: sa.Engine
) -> None:
    """Every web worker and gRPC server calls ``ensure_key`` as it starts: each with its own
    engine (a process of its own), all at once."""
    starters = 6
    engines = [create_engine(database_url) for _ in range(starters)]
    barrier = threading.Barrier(starters)

    def start(own: sa.Engine) -> str:
        keys = SigningKeyStore(own, None, lambda: datetime.now(UTC), timedelta(minutes=15))
        barrier.wait()
        keys.ensure_key()
        return keys.current().kid

    try:
        with ThreadPoolExecutor(starters) as pool:
            signing = set(pool.map(start, engines))
    finally:
        for own in engines:
            own.dispose()
    with engine.connect() as conn:
        kids = conn.execute(sa.select(signing_keys.c.kid)).scalars().all()
    assert len(kids) == 1
    assert signing == set(kids)  # every process signs with the key every JWKS publishes


def test_a_rotated_key_is_published_before_it_signs(engine: sa.Engine) -> None:
    clock = Clock()
    keys = store(engine, clock)
    keys.ensure_key()
    first = keys.current().kid

    second = keys.rotate(publish_ahead=timedelta(minutes=10))

    assert {k["kid"] for k in keys.jwks()["keys"]} == {first, second}
    assert keys.current().kid == first  # not signing yet
    clock.now += timedelta(minutes=10)
    assert keys.current().kid == second


def test_an_old_key_verifies_until_its_last_token_expired_then_is_pruned(
    engine: sa.Engine,
) -> None:
    clock = Clock()
    keys = store(engine, clock)
    keys.ensure_key()
    first = keys.current().kid
    keys.rotate(publish_ahead=timedelta(0))

    clock.now += timedelta(minutes=15)
    assert keys.public_key(first) is not None  # a token signed just before may still be live
    assert keys.prune() == 0

    clock.now += timedelta(minutes=1)  # past lifetime + leeway
    assert keys.public_key(first) is None
    assert keys.prune() == 1
    assert len(keys.jwks()["keys"]) == 1


def test_the_wrong_passphrase_cannot_load_the_keys(engine: sa.Engine) -> None:
    store(engine, Clock()).ensure_key()
    with pytest.raises(ValueError):
        store(engine, Clock(), passphrase=b"wrong").current()
