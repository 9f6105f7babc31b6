"""Use cases about accounts: sign up, look up, roles and permissions, the first admin."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from keel_auth.domain.commands import Origin, SetRoles, SignUp
from keel_auth.domain.errors import (
    EmailTaken,
    Forbidden,
    InvalidInput,
    PhoneTaken,
    UserNotFound,
)
from keel_auth.domain.events import UserRegistered, UserRolesChanged
from keel_auth.domain.model import AuditAction, OneTimeSecret, SecretPurpose, User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import (
    check_password_strength,
    check_roles,
    normalize_email,
    normalize_phone,
)
from keel_auth.service_layer.ports import PasswordHasher, RevocationList, UnitOfWork
from keel_auth.service_layer.steps import audit, end_all_sessions
from keel_common.auth.principal import Principal
from keel_common.clock import Clock

MANAGE_ROLES = "users:set_roles"


def sign_up(
    cmd: SignUp,
    origin: Origin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    policy: AuthPolicy,
    clock: Clock,
) -> User:
    """Create an account; the welcome email with its verification token goes out by event."""
    email = normalize_email(cmd.email)
    phone = normalize_phone(cmd.phone) if cmd.phone else None
    name = (cmd.name or "").strip() or None
    check_password_strength(cmd.password, [email, name or ""])
    password_hash = hasher.hash(cmd.password)  # before the transaction: argon2 is slow
    now = clock()
    with uow:
        if uow.users.get_by_email(email) is not None:
            raise EmailTaken("an account with this email already exists")
        if phone is not None and uow.users.get_by_phone(phone) is not None:
            raise PhoneTaken("an account with this phone number already exists")
        user = User(email, password_hash, now, name=name, phone=phone)
        uow.users.add(user)
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
        return user


def set_roles(
    principal: Principal,
    cmd: SetRoles,
    origin: Origin,
    uow: UnitOfWork,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> User:
    """Admins only, judged on the actor's current roles in the database (not the token's).
    Taking a role away ends the user's sessions so no token outlives the privilege."""
    now = clock()
    with uow:
        actor = uow.users.get(principal.user_id)
        if actor is None or not actor.can(MANAGE_ROLES):
            raise Forbidden("only an admin can change roles")
        roles = check_roles(cmd.roles)
        user = uow.users.get(cmd.user_id)
        if user is None:
            raise UserNotFound("no such user")
        previous = list(user.roles)
        if user.set_roles(roles):
            end_all_sessions(uow, revocations, user, "roles_changed", policy, now)
        uow.publish(UserRolesChanged(user_id=user.id, roles=tuple(user.roles), changed_by=actor.id))
        audit(
            uow, AuditAction.ROLES_CHANGED, origin, now, user=user, actor=actor,
            previous=previous, roles=list(user.roles),
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
