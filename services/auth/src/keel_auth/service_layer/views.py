"""The read side (Cosmic Python ch. 12, "views"): answers read straight from the database as
plain data, for calls that change nothing and run on every request of a signed-in client.

No unit of work and no aggregate: loading a ``User`` through the ORM in a transaction cost
several times the read itself on ``GET /v1/auth/me`` (issue #12). With Redis, the answer is
served from a shared cache (``adapters.view_cache``) as it was rendered: one round trip, no
database read. It stays correct because every commit that changed a user's row or one of
their login sessions calls ``forget`` for that user afterwards (``adapters.view_changes``
says why no write can skip it), and a value read before such a commit is never served
after it.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from typing import NamedTuple


class AccountView(NamedTuple):
    """What the account's owner sees of it. Immutable plain data, built on every call: a
    named tuple is made in a third of a frozen dataclass's time (ten ``object.__setattr__``)."""

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
        neither was deleted; else None. The database is the judge, not the denylist: a
        session revoked there ends here as soon as its commit returned."""

    def document_of_live_session(
        self, session_id: uuid.UUID, user_id: uuid.UUID, render: Callable[[AccountView], bytes]
    ) -> bytes | None:
        """What ``render`` writes of ``of_live_session``'s account (None when that is None).
        A view that keeps copies keeps the rendering, as core's product cache does: a hit is
        the stored bytes, with no row, view or encoding behind them."""
        view = self.of_live_session(session_id, user_id)
        return None if view is None else render(view)

    def forget(
        self, user_ids: Collection[uuid.UUID], session_ids: Collection[uuid.UUID] = ()
    ) -> None:
        """Called after a commit that changed these users or their login sessions (those
        it wrote: ``session_ids``): a view that keeps copies stops serving theirs, and
        holds none of those sessions' any more (an erased account's name and address must
        not outlive it in a cache). Reading afresh, there is nothing to do."""
        return None
