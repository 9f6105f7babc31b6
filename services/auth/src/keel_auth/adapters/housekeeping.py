"""Periodic clean-up of rows nothing can use any more (run as CronJobs)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from keel_auth.adapters.orm import (
    exports,
    mfa_challenges,
    oidc_states,
    oidc_used_nonces,
    one_time_secrets,
    refresh_tokens,
    webauthn_challenges,
)

# Kept a little past expiry so a late replay of a spent refresh token is still recognised.
GRACE = timedelta(days=1)


def purge_expired(engine: Engine, now: datetime) -> int:
    """Delete what expired a day ago: refresh tokens, one-time secrets, web sign-in states,
    spent nonces (useless once their token expired: it is refused then anyway), mfa tokens and
    WebAuthn challenges, expired data exports; returns how many rows went."""
    removed = 0
    with engine.begin() as conn:
        for table in (
            refresh_tokens,
            one_time_secrets,
            oidc_states,
            oidc_used_nonces,
            mfa_challenges,
            webauthn_challenges,
            exports,  # a document nobody downloaded within its 24 hours
        ):
            removed += conn.execute(
                sa.delete(table).where(table.c.expires_at < now - GRACE)
            ).rowcount
    return removed
