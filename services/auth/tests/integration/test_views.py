"""The read side on SQLite and PostgreSQL: the account of a live session, read without the
ORM, leaves out what the repositories leave out (revoked sessions, soft-deleted rows)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from keel_auth.adapters import orm
from keel_auth.bootstrap import Auth
from keel_auth.domain.model import LoginSession, User
from keel_common.clock import utcnow


@dataclass
class SignedIn:
    user: User
    session: LoginSession


@pytest.fixture
def signed_in(auth: Auth) -> SignedIn:
    now = utcnow()
    user = User("ada@example.com", None, now, name="Ada", roles=["customer"])
    user.locale = "fr-CA"
    session = LoginSession(user.id, now, ip=None, user_agent=None)
    with auth.uow() as uow:
        uow.users.add(user)
        uow.sessions.add(session)
        uow.commit()
    return SignedIn(user, session)


def mark_deleted(auth: Auth, table: sa.Table, row_id: uuid.UUID) -> None:
    with auth.engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == row_id).values(deleted_at=utcnow()))


def test_the_account_of_a_live_session_is_read_as_stored(auth: Auth, signed_in: SignedIn) -> None:
    user = signed_in.user

    account = auth.views.of_live_session(signed_in.session.id, user.id)

    assert account is not None
    assert (account.id, account.email, account.name, account.locale, account.roles) == (
        user.id,
        "ada@example.com",
        "Ada",
        "fr-CA",
        ["customer"],
    )
    assert (account.phone, account.phone_verified, account.email_verified) == (None, False, False)
    assert account.created_at == user.created_at
    assert account.created_at.tzinfo is not None


def test_a_revoked_session_has_no_account(auth: Auth, signed_in: SignedIn) -> None:
    with auth.uow() as uow:
        session = uow.sessions.get(signed_in.session.id)
        assert session is not None
        session.revoke("logout", utcnow())
        uow.commit()

    assert auth.views.of_live_session(signed_in.session.id, signed_in.user.id) is None


def test_another_users_session_has_no_account(auth: Auth, signed_in: SignedIn) -> None:
    assert auth.views.of_live_session(signed_in.session.id, uuid.uuid4()) is None
    assert auth.views.of_live_session(uuid.uuid4(), signed_in.user.id) is None


def test_a_soft_deleted_user_has_no_account(auth: Auth, signed_in: SignedIn) -> None:
    mark_deleted(auth, orm.users, signed_in.user.id)

    assert auth.views.of_live_session(signed_in.session.id, signed_in.user.id) is None


def test_a_soft_deleted_session_has_no_account(auth: Auth, signed_in: SignedIn) -> None:
    mark_deleted(auth, orm.login_sessions, signed_in.session.id)

    assert auth.views.of_live_session(signed_in.session.id, signed_in.user.id) is None
