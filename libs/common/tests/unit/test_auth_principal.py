import uuid
from datetime import UTC, datetime, timedelta

import pytest

from keel_common.auth import (
    FakeTokenVerifier,
    InMemoryRevocationList,
    InvalidToken,
    SqliteRevocationList,
)


def test_the_fake_verifier_returns_what_it_issued() -> None:
    verifier = FakeTokenVerifier()
    user_id = uuid.uuid4()
    token = verifier.issue(user_id=user_id, roles=["staff"])

    principal = verifier.verify(token)

    assert principal.user_id == user_id
    assert principal.has_role("staff")
    assert not principal.is_admin


def test_the_fake_verifier_refuses_unknown_and_revoked_tokens() -> None:
    verifier = FakeTokenVerifier()
    token = verifier.issue()
    with pytest.raises(InvalidToken):
        verifier.verify("unknown")

    verifier.revoke(verifier.verify(token).session_id)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_in_memory_revocations_expire() -> None:
    revocations = InMemoryRevocationList()
    live, stale = uuid.uuid4(), uuid.uuid4()
    revocations.revoke(live, datetime.now(UTC) + timedelta(minutes=1))
    revocations.revoke(stale, datetime.now(UTC) - timedelta(seconds=1))

    assert revocations.is_revoked(live)
    assert not revocations.is_revoked(stale)
    assert not revocations.is_revoked(uuid.uuid4())


def test_a_sqlite_revocation_is_seen_by_every_reader_of_the_file(tmp_path: object) -> None:
    path = f"{tmp_path}/revoked.db"
    auth_process, core_process = SqliteRevocationList(path), SqliteRevocationList(path)
    session_id = uuid.uuid4()
    assert not core_process.is_revoked(session_id)

    auth_process.revoke(session_id, datetime.now(UTC) + timedelta(minutes=16))

    assert core_process.is_revoked(session_id)


def test_sqlite_revocations_expire_and_keep_the_later_deadline(tmp_path: object) -> None:
    revocations = SqliteRevocationList(f"{tmp_path}/revoked.db")
    session_id, stale = uuid.uuid4(), uuid.uuid4()
    revocations.revoke(session_id, datetime.now(UTC) + timedelta(minutes=16))
    revocations.revoke(session_id, datetime.now(UTC) - timedelta(minutes=1))
    revocations.revoke(stale, datetime.now(UTC) - timedelta(seconds=1))

    assert revocations.is_revoked(session_id)
    assert not revocations.is_revoked(stale)
