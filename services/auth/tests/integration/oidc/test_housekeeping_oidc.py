"""The daily purge-expired job also deletes web sign-in states and spent nonces whose
tokens expired (nothing can use them any more)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from keel_auth.adapters.housekeeping import purge_expired
from keel_auth.adapters.orm import oidc_states, oidc_used_nonces

from ..conftest import Client, new_email
from .support import mock_id_token
from .test_web import start


def count(client: Client, table: sa.Table) -> int:
    with client.auth.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_expired_states_and_nonces_are_purged(client: Client, issuer: str) -> None:
    start(client, "mock")
    nonce = secrets.token_urlsafe(16)
    id_token = mock_id_token(issuer, "purge-sub", nonce, email=new_email(), email_verified=True)
    client.post("/v1/auth/oidc/mock/token", {"id_token": id_token, "nonce": nonce})
    assert (count(client, oidc_states), count(client, oidc_used_nonces)) == (1, 1)

    purge_expired(client.auth.engine, datetime.now(UTC))
    assert (count(client, oidc_states), count(client, oidc_used_nonces)) == (1, 1)

    purge_expired(client.auth.engine, datetime.now(UTC) + timedelta(days=2))
    assert (count(client, oidc_states), count(client, oidc_used_nonces)) == (0, 0)
