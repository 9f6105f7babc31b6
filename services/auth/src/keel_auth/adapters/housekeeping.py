"""Periodic clean-up of rows nothing can use any more (run as CronJobs)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from keel_auth.adapters.orm import one_time_secrets, refresh_tokens

# Kept a little past expiry so a late replay of a spent refresh token is still recognised.
GRACE = timedelta(days=1)


def purge_expired(engine: Engine, now: datetime) -> int:
    """Delete expired refresh tokens and one-time secrets; returns how many rows went."""
    with engine.begin() as conn:
        removed = conn.execute(
            sa.delete(refresh_tokens).where(refresh_tokens.c.expires_at < now - GRACE)
        ).rowcount
        removed += conn.execute(
            sa.delete(one_time_secrets).where(one_time_secrets.c.expires_at < now - GRACE)
        ).rowcount
    return int(removed)
