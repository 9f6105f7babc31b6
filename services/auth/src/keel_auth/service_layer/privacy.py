"""Account erasure (issue #14): the owner or an admin asks, every service forgets the user.

Asking disables the account and ends every session at once (``steps.disable_account``),
records an ``Erasure`` and publishes ``AccountErasureRequested``. Every service, auth
included, handles that event in its worker and reports back; auth records the reports and,
when all four are in, publishes ``AccountErased`` (the confirmation email) exactly once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from keel_auth.domain.commands import DeleteAccount, EraseUser, Origin
from keel_auth.domain.erasure import Erasure
from keel_auth.domain.errors import Forbidden, InvalidCredentials, Unauthenticated, UserNotFound
from keel_auth.domain.events import AccountErased, AccountErasureRequested
from keel_auth.domain.model import AuditAction, AuditEntry, SecretPurpose, User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.ports import PasswordHasher, RevocationList, Throttle, UnitOfWork
from keel_auth.service_layer.steps import audit, disable_account
from keel_common.auth.principal import Principal
from keel_common.clock import Clock
from keel_common.second_factor import require_second_factor

ERASE_USERS = "users:erase"


def delete_account(
    principal: Principal,
    cmd: DeleteAccount,
    origin: Origin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    revocations: RevocationList,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> Erasure:
    """``DELETE /v1/auth/me``. The proof is throttled like a login (a stolen access token
    must not let anyone guess the password offline-fast, nor erase the account)."""
    throttle.hit("login-ip", origin.ip or "-", policy.login_per_ip)
    with uow:
        user = uow.users.get(principal.user_id)
        if user is None or user.is_disabled:
            raise Unauthenticated("this account no longer exists")
        throttle.hit("login-failures", user.email, policy.login_failures_per_account)
        now = clock()
        if not _proves_owner(uow, hasher, user, cmd, now):
            audit(uow, AuditAction.LOGIN_FAILED, origin, now, user=user, method="erasure")
            uow.commit()
            raise InvalidCredentials("wrong password or code")
        erasure = _start(uow, revocations, user, None, "requested by the user", origin, policy, now)
        uow.commit()
        return erasure


def _proves_owner(
    uow: UnitOfWork, hasher: PasswordHasher, user: User, cmd: DeleteAccount, now: datetime
) -> bool:
    if user.password_hash is not None:
        return hasher.verify(user.password_hash, cmd.password or "")
    # Passwordless (phone sign-in): the newest login code texted to the verified phone.
    secret = uow.secrets.latest(SecretPurpose.LOGIN_OTP, user.id)
    if secret is None or not user.phone_verified or not secret.matches(cmd.code or "", now):
        return False
    return uow.secrets.consume(secret, now)  # False if a concurrent request used it


def erase_user(
    principal: Principal,
    cmd: EraseUser,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> Erasure:
    """``POST /v1/admin/users/{id}/erasure``: the same erasure, triggered by an admin and
    audited with the admin as actor and the reason given."""
    now = clock()
    with uow:
        actor = _admin(uow, principal, policy)
        if cmd.user_id == actor.id:
            raise Forbidden("delete your own account with DELETE /v1/auth/me")
        existing = uow.erasures.for_user(cmd.user_id)
        if existing is not None:
            return existing  # asked twice: the first erasure runs (or ran) already
        user = uow.users.get(cmd.user_id)
        if user is None:
            raise UserNotFound("no such user")
        erasure = _start(uow, revocations, user, actor, cmd.reason, origin, policy, now)
        uow.commit()
        return erasure


def erasure_status(
    principal: Principal, user_id: uuid.UUID, uow: UnitOfWork, policy: AuthPolicy
) -> Erasure:
    """``GET /v1/admin/users/{id}/erasure``: which services have reported, and when."""
    with uow:
        _admin(uow, principal, policy)
        erasure = uow.erasures.for_user(user_id)
        if erasure is None:
            raise UserNotFound("this user has no erasure")
        return erasure


def _admin(uow: UnitOfWork, principal: Principal, policy: AuthPolicy) -> User:
    actor = uow.users.get(principal.user_id)
    if actor is None or actor.is_disabled or not actor.can(ERASE_USERS):
        raise Forbidden("only an admin can erase accounts")
    require_second_factor(actor.roles, principal.amr, policy.mfa_roles)
    return actor


def _start(
    uow: UnitOfWork,
    revocations: RevocationList,
    user: User,
    actor: User | None,
    reason: str,
    origin: Origin,
    policy: AuthPolicy,
    now: datetime,
) -> Erasure:
    """Disable the account at once (tokens die everywhere), then let the workers erase."""
    disable_account(uow, revocations, user, "erasure", policy, now)
    erasure = Erasure(
        user.id,
        now,
        requested_by=actor.id if actor else None,
        reason=reason[:500],
        contact_email=user.email,
        contact_name=user.name,
        # The language of the last email, once users have one (issue #14's PATCH /me).
        contact_locale=getattr(user, "locale", None),
    )
    uow.erasures.add(erasure)
    uow.publish(AccountErasureRequested(user_id=user.id, requested_at=now))
    audit(uow, AuditAction.ERASURE_REQUESTED, origin, now, user=user, actor=actor, reason=reason)
    return erasure


def erase_auth_data(user_id: uuid.UUID, uow: UnitOfWork, clock: Clock) -> None:
    """Auth's part, in its worker: the identity, credentials, sessions and one-time secrets
    go; the audit trail stays, pseudonymized. Safe to run twice (nothing left the second
    time, and the first report stands)."""
    now = clock()
    with uow:
        erasure = uow.erasures.for_user(user_id, lock=True)
        user = uow.users.get(user_id)
        if user is not None:
            addresses = [a for a in (user.email, user.phone, user.pending_phone) if a]
            identifiers = [*addresses, *([user.name] if user.name else [])]
            uow.personal_data.pseudonymize_audit(user_id, identifiers)
            uow.personal_data.forget_published_events(user_id, addresses)
            uow.personal_data.forget_user(user_id)
        if erasure is not None:
            erasure.record("auth", now)
            _confirm_when_complete(uow, erasure, now)
        uow.commit()


def record_erasure_report(
    service: str, user_id: uuid.UUID, erased_at: datetime, uow: UnitOfWork, clock: Clock
) -> None:
    """Another service reported its part; the last report triggers the confirmation."""
    with uow:
        # Locked: two reports committing at once must not both see the other one missing.
        erasure = uow.erasures.for_user(user_id, lock=True)
        if erasure is None:
            return  # not an erasure auth knows about: nothing to record
        erasure.record(service, erased_at)
        _confirm_when_complete(uow, erasure, clock())
        uow.commit()


def _confirm_when_complete(uow: UnitOfWork, erasure: Erasure, now: datetime) -> None:
    contact = erasure.confirm(now)
    if contact is None:
        return
    email, name, locale = contact
    uow.publish(AccountErased(user_id=erasure.user_id, email=email, name=name, locale=locale))
    uow.audit.add(
        AuditEntry(
            AuditAction.ACCOUNT_ERASED,
            now,
            user_id=erasure.user_id,
            actor_id=erasure.requested_by,
            ip=None,
            user_agent=None,
        )
    )
