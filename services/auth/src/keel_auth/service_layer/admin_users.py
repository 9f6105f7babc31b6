"""The back-office's use cases about accounts: find, read, end sessions, disable, roles.

Staff read and operate (``users:read``, ``users:operate``); admins also change roles. The
actor is judged on their roles in the database, not on the token's claims, so a demoted
operator loses the console with their next request. Every change is audited with the
actor, the target, the time and the operator's reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from keel_auth.domain.commands import Origin, SetRoles
from keel_auth.domain.errors import Forbidden, InvalidInput, UserNotFound
from keel_auth.domain.model import AuditAction, AuditEntry, LoginSession, User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import normalize_email, normalize_phone
from keel_auth.service_layer import accounts
from keel_auth.service_layer.ports import RevocationList, UnitOfWork, UserQuery
from keel_auth.service_layer.steps import audit, disable_account, end_all_sessions
from keel_common.auth.principal import Principal
from keel_common.clock import Clock
from keel_common.pagination import InvalidCursor, Page, Position, decode_cursor, page_of
from keel_common.second_factor import require_second_factor

READ = "users:read"
OPERATE = "users:operate"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_REASON = 200  # the length of users.disabled_reason


@dataclass(frozen=True)
class UserRecord:
    user: User
    sessions: list[LoginSession]


@dataclass(frozen=True)
class SignupStats:
    today: int
    last_7_days: int
    today_since: datetime
    last_7_days_since: datetime


def find_users(
    principal: Principal,
    query: UserQuery,
    limit: int,
    cursor: str | None,
    uow: UnitOfWork,
    policy: AuthPolicy,
) -> Page[User]:
    """Accounts by id, exact email, email prefix or phone (or all), newest first."""
    after = _position(cursor)
    _check_limit(limit)
    query = _normalized(query)
    with uow:
        _actor(uow, principal, READ, policy)
        rows = uow.users.find(query, after, limit + 1)
    return page_of(rows, limit, lambda u: Position(_aware(u.created_at), u.id))


def user_record(
    principal: Principal, user_id: uuid.UUID, uow: UnitOfWork, policy: AuthPolicy
) -> UserRecord:
    """An account with its active sessions, newest first."""
    with uow:
        _actor(uow, principal, READ, policy)
        user = _target(uow, user_id)
        sessions = uow.sessions.active_for_user(user.id)
    sessions.sort(key=lambda s: (_aware(s.created_at), s.id), reverse=True)
    return UserRecord(user, sessions)


def audit_trail(
    principal: Principal,
    uow: UnitOfWork,
    policy: AuthPolicy,
    *,
    user_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[AuditEntry]:
    """Security events about ``user_id`` and/or done by ``actor_id``, newest first."""
    after = _position(cursor)
    _check_limit(limit)
    with uow:
        _actor(uow, principal, READ, policy)
        rows = uow.audit.find(user_id=user_id, actor_id=actor_id, after=after, limit=limit + 1)
    return page_of(rows, limit, lambda e: Position(_aware(e.occurred_at), e.id))


def signup_stats(
    principal: Principal, uow: UnitOfWork, policy: AuthPolicy, clock: Clock
) -> SignupStats:
    """Accounts created since midnight UTC and in the last seven days (the dashboard)."""
    now = clock()
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    week = now - timedelta(days=7)
    with uow:
        _actor(uow, principal, READ, policy)
        today = uow.users.count_created_since(midnight)
        last_7_days = uow.users.count_created_since(week)
    return SignupStats(today, last_7_days, midnight, week)


def revoke_sessions(
    principal: Principal,
    user_id: uuid.UUID,
    reason: str,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> int:
    """End every session of the account: its tokens are denied at every service at once
    (the shared denylist is written before the commit). How many sessions were ended."""
    reason = check_reason(reason)
    now = clock()
    with uow:
        actor = _actor(uow, principal, OPERATE, policy)
        user = _operable_target(uow, actor, user_id)
        ended = len(uow.sessions.active_for_user(user.id))
        end_all_sessions(uow, revocations, user, "admin_revoked", policy, now)
        audit(
            uow, AuditAction.SESSIONS_REVOKED, origin, now, user=user, actor=actor,
            reason=reason, sessions=ended,
        )  # fmt: skip
        uow.commit()
    return ended


def disable_user(
    principal: Principal,
    user_id: uuid.UUID,
    reason: str,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> User:
    """Disable the account (no sign-in by any path) and end every session at once."""
    reason = check_reason(reason)
    now = clock()
    with uow:
        actor = _actor(uow, principal, OPERATE, policy)
        user = _operable_target(uow, actor, user_id)
        if actor.id == user.id:
            raise Forbidden("you cannot disable your own account")
        if disable_account(uow, revocations, user, reason, policy, now):
            audit(uow, AuditAction.ACCOUNT_DISABLED, origin, now, user=user, actor=actor,
                  reason=reason)  # fmt: skip
        uow.commit()
        return user


def enable_user(
    principal: Principal,
    user_id: uuid.UUID,
    reason: str,
    origin: Origin,
    uow: UnitOfWork,
    policy: AuthPolicy,
    clock: Clock,
) -> User:
    """Let a disabled account sign in again (its old sessions stay ended)."""
    reason = check_reason(reason)
    now = clock()
    with uow:
        actor = _actor(uow, principal, OPERATE, policy)
        user = _operable_target(uow, actor, user_id)
        if user.enable():
            audit(uow, AuditAction.ACCOUNT_ENABLED, origin, now, user=user, actor=actor,
                  reason=reason)  # fmt: skip
        uow.commit()
        return user


def change_roles(
    principal: Principal,
    user_id: uuid.UUID,
    roles: tuple[str, ...],
    reason: str,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> User:
    """Admins only; the last admin keeps the role (``accounts.set_roles``'s rules)."""
    reason = check_reason(reason)
    cmd = SetRoles(user_id, roles)
    return accounts.set_roles(principal, cmd, origin, uow, revocations, policy, clock, reason)


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "say why; the reason is kept in the audit trail")
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason", f"use at most {MAX_REASON} characters")
    return reason


def _normalized(query: UserQuery) -> UserQuery:
    """Addresses and numbers as stored (lower-cased email, E.164 phone)."""
    prefix = (query.email_prefix or "").strip().lower()
    try:
        return UserQuery(
            user_id=query.user_id,
            email=normalize_email(query.email) if query.email else None,
            email_prefix=prefix or None,
            phone=normalize_phone(query.phone) if query.phone else None,
        )
    except InvalidInput as exc:  # a search filter, not a field of a body
        raise InvalidInput(exc.field, exc.message, location="query") from exc


def _actor(uow: UnitOfWork, principal: Principal, permission: str, policy: AuthPolicy) -> User:
    actor = uow.users.get(principal.user_id)
    if actor is None or actor.is_disabled or not actor.can(permission):
        raise Forbidden("the back-office is for staff and admins")
    require_second_factor(actor.roles, principal.amr, policy.mfa_roles)
    return actor


def _target(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    user = uow.users.get(user_id)
    if user is None:
        raise UserNotFound("no such user")
    return user


def _operable_target(uow: UnitOfWork, actor: User, user_id: uuid.UUID) -> User:
    """Staff may not act on an admin's account: that would let them lock admins out."""
    user = _target(uow, user_id)
    if "admin" in user.roles and "admin" not in actor.roles:
        raise Forbidden("only an admin can act on an admin's account")
    return user


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be 1 to {MAX_LIMIT}", location="query")


def _position(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor)
    except InvalidCursor as exc:
        raise InvalidInput("cursor", str(exc), location="query") from exc


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC values."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
