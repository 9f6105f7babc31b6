"""Periodic clean-up of rows nothing can use any more (run as CronJobs)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from keel_auth.adapters.orm import (
    oidc_states,
    oidc_used_nonces,
    one_time_secrets,
    refresh_tokens,
)

# Kept a little past expiry so a late replay of a spent refresh token is still recognised.
GRACE = timedelta(days=1)


def purge_expired(engine: Engine, now: datetime) -> int:
    """Delete expired refresh tokens, one-time secrets, web sign-in states and spent nonces;
    returns how many rows went."""
    with engine.begin() as conn:
        removed = conn.execute(
            sa.delete(refresh_tokens).where(refresh_tokens.c.expires_at < now - GRACE)
        ).rowcount
        removed += conn.execute(
            sa.delete(one_time_secrets).where(one_time_secrets.c.expires_at < now - GRACE)
        ).rowcount
        removed += conn.execute(
            sa.delete(oidc_states).where(oidc_states.c.expires_at < now - GRACE)
        ).rowcount
        # A spent nonce is useless once its token expired: the token is refused then anyway.
        removed += conn.execute(
            sa.delete(oidc_used_nonces).where(oidc_used_nonces.c.expires_at < now - GRACE)
        ).rowcount
    return int(removed)
