"""The verifier against real servers: JWKS over HTTP, revocations through Redis."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask, jsonify

from keel_common.auth import (
    InMemoryRevocationList,
    InvalidToken,
    JwksTokenVerifier,
    RedisRevocationList,
    RevocationList,
    SqliteRevocationList,
    create_token_verifier,
)
from keel_common.auth.testing import SigningKeys
from keel_common.testing import live_server


@pytest.fixture
def keys() -> SigningKeys:
    return SigningKeys()


@pytest.fixture
def jwks_url(keys: SigningKeys):
    app = Flask("jwks")
    app.get("/.well-known/jwks.json")(lambda: jsonify(keys.jwks()))
    with live_server(app) as base_url:
        yield f"{base_url}/.well-known/jwks.json"


def test_a_revocation_in_redis_is_seen_by_another_client_with_its_ttl(redis_url: str) -> None:
    writer, reader = (
        RedisRevocationList.from_url(redis_url),
        RedisRevocationList.from_url(redis_url),
    )
    session_id = uuid.uuid4()

    writer.revoke(session_id, datetime.now(UTC) + timedelta(minutes=16))

    assert reader.is_revoked(session_id)
    ttl_ms = redis.Redis.from_url(redis_url).pttl(f"keel:auth:revoked-session:{session_id}")
    assert 15 * 60_000 < ttl_ms <= 16 * 60_000


def test_a_revocation_already_past_is_not_stored(redis_url: str) -> None:
    revocations = RedisRevocationList.from_url(redis_url)
    session_id = uuid.uuid4()
    revocations.revoke(session_id, datetime.now(UTC) - timedelta(seconds=1))
    assert not revocations.is_revoked(session_id)


@pytest.mark.parametrize("kind", ["redis", "sqlite"])
def test_many_sessions_revoked_in_one_write_are_each_denied_elsewhere(
    kind: str, redis_url: str, tmp_path: Path
) -> None:
    def opened() -> RevocationList:
        if kind == "redis":
            return RedisRevocationList.from_url(redis_url)
        return SqliteRevocationList(tmp_path / "revoked.db")

    writer, reader = opened(), opened()
    revoked, other = [uuid.uuid4() for _ in range(20)], uuid.uuid4()
    writer.revoke_many(revoked, datetime.now(UTC) + timedelta(minutes=16))
    writer.revoke_many([], datetime.now(UTC) + timedelta(minutes=16))  # nothing, no error
    assert all(reader.is_revoked(session_id) for session_id in revoked)
    assert not reader.is_revoked(other)


def test_a_revoked_session_stops_working_at_every_service_at_once(
    keys: SigningKeys, jwks_url: str, redis_url: str
) -> None:
    """Two verifiers stand for two services (separate JWKS caches and Redis clients)."""
    services = [
        create_token_verifier(
            jwks_url=jwks_url, issuer="keel-auth", audience="keel", redis_url=redis_url
        )
        for _ in ("core", "search")
    ]
    session_id = uuid.uuid4()
    token = keys.token(session_id=session_id)
    assert all(service.verify(token).session_id == session_id for service in services)

    RedisRevocationList.from_url(redis_url).revoke(
        session_id, datetime.now(UTC) + timedelta(minutes=16)
    )

    # No waiting: the very next verification at each service is refused.
    for service in services:
        with pytest.raises(InvalidToken):
            service.verify(token)


def test_the_embedded_default_shares_revocations_through_a_file(
    keys: SigningKeys, jwks_url: str, tmp_path: object
) -> None:
    path = f"{tmp_path}/revoked.db"
    core, search, auth = (
        create_token_verifier(
            jwks_url=jwks_url, issuer="keel-auth", audience="keel", redis_url=None,
            revocations_path=path,
        )
        for _ in range(3)
    )  # fmt: skip
    session_id = uuid.uuid4()
    token = keys.token(session_id=session_id)
    core.verify(token)

    SqliteRevocationList(path).revoke(session_id, datetime.now(UTC) + timedelta(minutes=16))

    for service in (core, search, auth):
        with pytest.raises(InvalidToken):
            service.verify(token)


def test_a_rotated_key_is_fetched_from_the_jwks_endpoint(keys: SigningKeys, jwks_url: str) -> None:
    verifier = JwksTokenVerifier(
        jwks_url, "keel-auth", "keel", InMemoryRevocationList(), refetch_cooldown=0
    )
    old_token = keys.token()
    verifier.verify(old_token)

    keys.rotate()

    assert verifier.verify(keys.token())
    assert verifier.verify(old_token)
