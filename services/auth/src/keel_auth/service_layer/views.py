"""The read side (Cosmic Python ch. 12, "views"): answers read straight from the database as
plain data, for calls that change nothing and run on every request of a signed-in client.

No unit of work and no aggregate: loading a ``User`` through the ORM in a transaction cost
several times the read itself on ``GET /v1/auth/me`` (issue #12). What a view returns is
always read afresh; nothing here is cached.
"""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AccountView:
    """What the account's owner sees of it."""

    id: uuid.UUID
    email: str
    name: str | None
    phone: str | None
    phone_verified: bool
    pending_phone: str | None
    roles: list[str]
    email_verified: bool
    locale: str | None
    created_at: datetime


class AccountViews(abc.ABC):
    @abc.abstractmethod
    def of_live_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> AccountView | None:
        """The account ``user_id`` if ``session_id`` is its session and not revoked, and
        neither was deleted; else None. Read on every call, so a session revoked in the
        database ends here at once, before any denylist hears of it."""
