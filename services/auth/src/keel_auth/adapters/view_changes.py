"""Which users' account views a transaction changed, as SQLAlchemy itself sees the writes.

An account view (``service_layer.views``) is read from two tables only: ``users`` and
``login_sessions``. The auth unit of work asks ``changed_users`` after each commit and tells
the views to ``forget`` them. Why no write can be missed:

- Every row auth changes at run time goes through the unit of work's session (the other
  writers -- signing keys, the housekeeping job -- hold other tables; migrations run offline).
- A session writes in two ways only. The ORM flush: ``after_flush`` sees every new, changed
  and deleted ``User`` and ``LoginSession`` (a session's user is its ``user_id``), whatever
  use case changed them -- profile, email, phone, password, roles, state, logout, reuse
  detection, erasure, sign-in. Or ``Session.execute`` of an INSERT, UPDATE or DELETE
  statement: ``do_orm_execute`` sees those, and one on either table must name the users it
  touches (``touching(ids)``) or it raises -- so a new bulk write cannot forget to, it fails
  its first test.

Over-reporting (a ``last_seen_at`` bump, a rolled-back savepoint) only costs a cache miss.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from keel_auth.adapters.orm import login_sessions, users
from keel_auth.domain.model import LoginSession, User

_CHANGED = "keel_auth.changed_users"
_CHANGED_SESSIONS = "keel_auth.changed_sessions"
_TOUCHING = "keel_auth_touching_users"
_VIEW_TABLES = frozenset({users.name, login_sessions.name})


def touching(
    user_ids: Iterable[uuid.UUID], session_ids: Iterable[uuid.UUID] = ()
) -> dict[str, Any]:
    """Execution options of a bulk statement on ``users`` or ``login_sessions``: the users it
    touches, and the login sessions when it ends them (their cached views are scrubbed)."""
    return {_TOUCHING: (frozenset(user_ids), frozenset(session_ids))}


def changed_users(session: Session) -> set[uuid.UUID]:
    """The users whose rows or sessions this session wrote since ``clear``."""
    changed: set[uuid.UUID] = session.info.setdefault(_CHANGED, set())
    return changed


def changed_sessions(session: Session) -> set[uuid.UUID]:
    """The login sessions this session wrote since ``clear``."""
    changed: set[uuid.UUID] = session.info.setdefault(_CHANGED_SESSIONS, set())
    return changed


def clear(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_CHANGED_SESSIONS, None)


def watch(session_factory: sessionmaker[Session]) -> None:
    """Track the writes of every session ``session_factory`` makes (once per factory)."""
    if not event.contains(session_factory, "after_flush", _after_flush):
        event.listen(session_factory, "after_flush", _after_flush)
        event.listen(session_factory, "do_orm_execute", _bulk_write)


def _after_flush(session: Session, _context: Any) -> None:
    # Still the flush's own lists here: what it inserted, updated and deleted.
    changed = changed_users(session)
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, User):
            changed.add(row.id)
        elif isinstance(row, LoginSession):
            changed.add(row.user_id)
            changed_sessions(session).add(row.id)


def _bulk_write(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in _VIEW_TABLES:
        return
    touched = state.execution_options.get(_TOUCHING)
    if touched is None:
        raise RuntimeError(
            f"a bulk write to {table.name} must name the users it touches"  # type: ignore[union-attr]
            " (execution_options(**view_changes.touching(ids))): their cached views depend on it"
        )
    user_ids, session_ids = touched
    changed_users(state.session).update(user_ids)
    changed_sessions(state.session).update(session_ids)
