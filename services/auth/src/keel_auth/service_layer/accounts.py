"""Use cases about accounts: sign up, look up, roles and permissions, the first admin."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from keel_auth.domain.commands import Origin, SetRoles, SignUp
from keel_auth.domain.errors import (
    EmailTaken,
    Forbidden,
    InvalidInput,
    LastAdmin,
    Throttled,
    UserNotFound,
)
from keel_auth.domain.events import SignUpAttempted, UserRegistered, UserRolesChanged
from keel_auth.domain.model import AuditAction, OneTimeSecret, SecretPurpose, User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import (
    check_password_strength,
    check_roles,
    normalize_email,
    normalize_phone,
)
from keel_auth.service_layer.ports import PasswordHasher, RevocationList, Throttle, UnitOfWork
from keel_auth.service_layer.steps import audit, end_all_sessions
from keel_common.auth.principal import Principal
from keel_common.clock import Clock
from keel_common.second_factor import require_second_factor

MANAGE_ROLES = "users:set_roles"


def sign_up(
    cmd: SignUp,
    origin: Origin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Create an account; the welcome email with its verification token goes out by event.

    The caller learns nothing about the address: a registered one gets the same answer and
    its owner an email saying someone tried. Limits come before argon2, which is the costly
    step, and the hash is computed for both answers so they take the same time."""
    email = normalize_email(cmd.email)
    phone = normalize_phone(cmd.phone) if cmd.phone else None
    name = (cmd.name or "").strip() or None
    check_password_strength(cmd.password, [email, name or ""])
    throttle.hit("signup-ip", origin.ip or "-", policy.signup_per_ip)
    throttle.hit("signup-all", "all", policy.signup_global)
    password_hash = hasher.hash(cmd.password)  # before the transaction: argon2 is slow
    now = clock()
    with uow:
        existing = uow.users.get_by_email(email)
        if existing is not None:
            _tell_owner(existing, origin, uow, throttle, policy, now)
            uow.commit()
            return
        user = User(email, password_hash, now, name=name, pending_phone=phone)
        try:
            uow.users.add(user)
        except EmailTaken:
            return  # a concurrent sign-up with this address won (a double click): same answer
        secret = OneTimeSecret(
            SecretPurpose.EMAIL_VERIFICATION, user.id, now, now + policy.verification_ttl
        )
        uow.secrets.add(secret)
        uow.publish(
            UserRegistered(
                user_id=user.id,
                email=email,
                name=name,
                verification_token=secret.raw,
                verification_expires_at=secret.expires_at,
            )
        )
        audit(uow, AuditAction.SIGNUP, origin, now, user=user)
        uow.commit()


def _tell_owner(
    user: User,
    origin: Origin,
    uow: UnitOfWork,
    throttle: Throttle,
    policy: AuthPolicy,
    now: datetime,
) -> None:
    """Email the owner that someone tried to sign up with their address (a few a day at
    most, silently: a 429 here would tell the caller the address is registered)."""
    audit(uow, AuditAction.SIGNUP_EXISTING, origin, now, user=user)
    try:
        throttle.hit("signup-notice", user.email, policy.signup_notice_per_email)
    except Throttled:
        return
    uow.publish(
        SignUpAttempted(
            user_id=user.id,
            email=user.email,
            name=user.name,
            email_verified=user.email_verified,
            locale=user.locale,
        )
    )


def set_roles(
    principal: Principal,
    cmd: SetRoles,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
    reason: str | None = None,
) -> User:
    """Admins only, judged on the actor's current roles in the database (not the token's),
    signed in with a second factor when ``policy.mfa_roles`` (REQUIRE_MFA_FOR_ROLES) say so.
    Taking a role away ends the user's sessions so no token outlives the privilege. The
    back-office passes the operator's ``reason`` for the audit trail."""
    now = clock()
    with uow:
        actor = uow.users.get(principal.user_id)
        if actor is None or not actor.can(MANAGE_ROLES):
            raise Forbidden("only an admin can change roles")
        require_second_factor(actor.roles, principal.amr, policy.mfa_roles)
        roles = check_roles(cmd.roles)
        user = uow.users.get(cmd.user_id)
        if user is None:
            raise UserNotFound("no such user")
        if "admin" in user.roles and "admin" not in roles and uow.users.count_admins() <= 1:
            # Nobody could give the role back but the operator's CLI: refuse (self-demotion
            # included) rather than leave the platform without an administrator.
            raise LastAdmin("the last admin cannot lose the admin role")
        previous = list(user.roles)
        if user.set_roles(roles):
            end_all_sessions(uow, revocations, user, "roles_changed", policy, now)
        uow.publish(UserRolesChanged(user_id=user.id, roles=tuple(user.roles), changed_by=actor.id))
        because = {"reason": reason} if reason else {}
        audit(
            uow, AuditAction.ROLES_CHANGED, origin, now, user=user, actor=actor,
            previous=previous, roles=list(user.roles), **because,
        )  # fmt: skip
        uow.commit()
        return user


def get_user(user_id: uuid.UUID, uow: UnitOfWork) -> User:
    with uow:
        user = uow.users.get(user_id)
        if user is None:
            raise UserNotFound("no such user")
        return user


def get_users(user_ids: Sequence[uuid.UUID], uow: UnitOfWork) -> list[User]:
    """The existing users among ``user_ids``, in the order asked; unknown ids are left out."""
    with uow:
        found = {user.id: user for user in uow.users.list(list(dict.fromkeys(user_ids)))}
    return [found[user_id] for user_id in dict.fromkeys(user_ids) if user_id in found]


def check_permission(user_id: uuid.UUID, permission: str, uow: UnitOfWork) -> bool:
    with uow:
        user = uow.users.get(user_id)
        return user is not None and user.can(permission)


def create_admin(
    email: str, password: str | None, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock
) -> User:
    """Make ``email`` an admin (the operator's CLI), creating the account if needed."""
    email = normalize_email(email)
    now = clock()
    with uow:
        user = uow.users.get_by_email(email)
        if user is not None and not user.email_verified:
            # Anyone may have registered this address with their own password (and phone):
            # promoting it would hand them the admin role (account pre-hijacking).
            raise InvalidInput("email", "this account has not verified its email address")
        if user is None:
            if password is None:
                raise InvalidInput("password", "a new account needs a password")
            check_password_strength(password, [email])
            user = User(email, hasher.hash(password), now)
            user.email_verified = True  # created by the operator, who vouches for it
            uow.users.add(user)
        previous = list(user.roles)
        user.set_roles([*user.roles, "admin"])
        uow.publish(UserRolesChanged(user_id=user.id, roles=tuple(user.roles), changed_by=None))
        audit(
            uow, AuditAction.ROLES_CHANGED, Origin(user_agent="keel-auth cli"), now, user=user,
            previous=previous, roles=list(user.roles),
        )  # fmt: skip
        uow.commit()
        return user
