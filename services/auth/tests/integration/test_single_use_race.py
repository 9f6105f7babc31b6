"""A one-time secret (verification link, reset link, code) is used by one request only, even
when two arrive at once: the use is a conditional UPDATE, not a check then a write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keel_auth.bootstrap import Auth
from keel_auth.domain.model import OneTimeSecret, SecretPurpose

from .conftest import Client


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: on SQLite every transaction begins IMMEDIATE, so the second request
    cannot even read the secret before the first committed (and sees it used)."""
    return postgres_url


def test_of_two_units_of_work_holding_one_secret_only_the_first_uses_it(
    client: Client, auth: Auth
) -> None:
    client.sign_up("ada@example.com")
    now = datetime.now(UTC)
    with auth.uow() as uow:
        user = uow.users.get_by_email("ada@example.com")
        assert user is not None
        secret = OneTimeSecret(SecretPurpose.PASSWORD_RESET, user.id, now, now)
        uow.secrets.add(secret)
        uow.commit()
        secret_id = secret.id

    first, second = auth.uow(), auth.uow()
    with first, second:
        mine, theirs = first.secrets.get(secret_id), second.secrets.get(secret_id)
        assert mine is not None and theirs is not None and theirs.used_at is None
        assert first.secrets.consume(mine, now)
        first.commit()
        # The second request read the secret before the first used it: it still loses.
        assert not second.secrets.consume(theirs, now)
