"""Self-service for a signed-in user: change the password, edit the profile, see and end
their sessions (issue #14). Email changes are in ``email_change``."""

from __future__ import annotations

from datetime import datetime

from keel_auth.domain.commands import ChangePassword, Origin, RevokeSession, UpdateProfile
from keel_auth.domain.errors import InvalidCredentials, SessionNotFound, Unauthenticated
from keel_auth.domain.events import PasswordChanged, UserProfileUpdated
from keel_auth.domain.model import AuditAction, LoginSession, User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import check_password_strength, normalize_locale
from keel_auth.service_layer.ports import PasswordHasher, RevocationList, Throttle, UnitOfWork
from keel_auth.service_layer.steps import audit, end_session
from keel_common.auth.principal import Principal
from keel_common.clock import Clock


def caller(uow: UnitOfWork, principal: Principal) -> tuple[LoginSession, User]:
    """The caller's live session and account (auth is the source of truth for both)."""
    session = uow.sessions.get(principal.session_id)
    user = uow.users.get(principal.user_id)
    if session is None or not session.is_active or session.user_id != principal.user_id:
        raise Unauthenticated("the session has ended")
    if user is None:
        raise Unauthenticated("the account no longer exists")
    return session, user


def prove_password(
    uow: UnitOfWork,
    user: User,
    password: str,
    failed: AuditAction,
    origin: Origin,
    hasher: PasswordHasher,
    throttle: Throttle,
    policy: AuthPolicy,
    now: datetime,
) -> None:
    """Check the caller's password like a login does: a slot of the account's login budget
    is reserved before argon2 runs, so a stolen access token buys no more guesses than the
    login form gives. A wrong password is audited (committed) and answers 401."""
    throttle.hit("login-failures", user.email, policy.login_failures_per_account)
    if not hasher.verify(user.password_hash, password):
        audit(uow, failed, origin, now, user=user)
        uow.commit()
        raise InvalidCredentials("wrong password")


def change_password(
    principal: Principal,
    cmd: ChangePassword,
    origin: Origin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    revocations: RevocationList,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Replace the password; every other session of the user ends (whoever knew the old
    password is signed out), this one stays. The owner is told by email."""
    now = clock()
    with uow:
        session, user = caller(uow, principal)
        check_password_strength(cmd.new_password, [user.email, user.name or ""])
        prove_password(
            uow, user, cmd.current_password, AuditAction.PASSWORD_CHANGE_FAILED, origin,
            hasher, throttle, policy, now,
        )  # fmt: skip
        user.password_hash = hasher.hash(cmd.new_password)
        for other in uow.sessions.active_for_user(user.id):
            if other.id != session.id:
                end_session(uow, revocations, other, "password_changed", policy, now)
        uow.publish(
            PasswordChanged(user_id=user.id, email=user.email, name=user.name, locale=user.locale)
        )
        audit(uow, AuditAction.PASSWORD_CHANGED, origin, now, user=user, session=str(session.id))
        uow.commit()


def update_profile(
    principal: Principal, cmd: UpdateProfile, origin: Origin, uow: UnitOfWork, clock: Clock
) -> User:
    """Change the name and/or the locale (stored as its canonical BCP 47 tag)."""
    locale = normalize_locale(cmd.locale) if cmd.locale is not None else None
    now = clock()
    with uow:
        _, user = caller(uow, principal)
        changed = []
        if cmd.name is not None:
            user.name = cmd.name.strip() or None
            changed.append("name")
        if locale is not None:
            user.locale = locale
            changed.append("locale")
        if changed:
            # Notification keeps the locale per contact, for the mails no auth event causes.
            uow.publish(UserProfileUpdated(user_id=user.id, name=user.name, locale=user.locale))
            audit(uow, AuditAction.PROFILE_UPDATED, origin, now, user=user, fields=changed)
            uow.commit()
        return user


def list_sessions(
    principal: Principal, uow: UnitOfWork, policy: AuthPolicy, clock: Clock
) -> list[LoginSession]:
    """The caller's live sessions, newest first."""
    now = clock()
    with uow:
        _, user = caller(uow, principal)
        live = [
            s
            for s in uow.sessions.active_for_user(user.id)
            if now < s.created_at + policy.session_max_age
        ]
    return sorted(live, key=lambda s: s.created_at, reverse=True)


def revoke_session(
    principal: Principal,
    cmd: RevokeSession,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """End one of the caller's sessions, at every service at once (the shared denylist).
    Another user's session and an unknown id get the same 404: ids are not probeable."""
    now = clock()
    with uow:
        _, user = caller(uow, principal)
        target = uow.sessions.get(cmd.session_id)
        if target is None or target.user_id != user.id or not target.is_active:
            raise SessionNotFound("no such session")
        end_session(uow, revocations, target, "revoked_by_user", policy, now)
        audit(uow, AuditAction.SESSION_REVOKED, origin, now, user=user, session=str(target.id))
        uow.commit()
