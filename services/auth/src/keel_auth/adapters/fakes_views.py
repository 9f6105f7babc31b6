"""In-memory views over a ``FakeUnitOfWork``'s committed rows, for unit tests."""

from __future__ import annotations

import uuid

from keel_auth.adapters.fakes import FakeUnitOfWork
from keel_auth.service_layer.views import AccountView, AccountViews


class FakeAccountViews(AccountViews):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def of_live_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> AccountView | None:
        session = self._uow.sessions.rows.get(session_id)
        if session is None or not session.is_active or session.user_id != user_id:
            return None
        user = self._uow.users.rows.get(user_id)
        if user is None:
            return None
        return AccountView(
            id=user.id,
            email=user.email,
            name=user.name,
            phone=user.phone,
            phone_verified=user.phone_verified,
            pending_phone=user.pending_phone,
            roles=list(user.roles),
            email_verified=user.email_verified,
            locale=user.locale,
            created_at=user.created_at,
        )
