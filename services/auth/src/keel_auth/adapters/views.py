"""The views (``service_layer.views``) as SQLAlchemy Core statements, compiled once per
engine and run without the ORM or a transaction (``keel_common.db.SingleRowRead``): one
round trip on PostgreSQL. Soft-deleted rows are left out here explicitly, as the ORM's
criteria do for repositories.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from keel_auth.adapters.orm import login_sessions, users
from keel_auth.service_layer.views import AccountView, AccountViews
from keel_common.db import SingleRowRead

_ACCOUNT_OF_LIVE_SESSION = (
    sa.select(  # not the id: the statement's own ``user_id``, not parsed from each row
        users.c.email,
        users.c.name,
        users.c.phone,
        users.c.phone_verified,
        users.c.pending_phone,
        users.c.roles,
        users.c.email_verified,
        users.c.locale,
        users.c.created_at,
    )
    .join_from(users, login_sessions, login_sessions.c.user_id == users.c.id)
    .where(
        login_sessions.c.id == sa.bindparam("session_id", type_=sa.Uuid),
        login_sessions.c.revoked_at.is_(None),
        login_sessions.c.deleted_at.is_(None),
        users.c.id == sa.bindparam("user_id", type_=sa.Uuid),
        users.c.deleted_at.is_(None),
    )
)


class SqlAlchemyAccountViews(AccountViews):
    def __init__(self, engine: Engine) -> None:
        self._account_of_live_session = SingleRowRead(engine, _ACCOUNT_OF_LIVE_SESSION)

    def of_live_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> AccountView | None:
        params = {"session_id": session_id, "user_id": user_id}
        row = self._account_of_live_session.one_or_none(params)
        return None if row is None else AccountView(id=user_id, **row)
