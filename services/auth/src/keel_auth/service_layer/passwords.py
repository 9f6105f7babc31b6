"""Forgotten passwords: emailed single-use reset tokens."""

from __future__ import annotations

from keel_auth.domain.commands import ForgotPassword, Origin, ResetPassword
from keel_auth.domain.errors import InvalidOneTimeToken
from keel_auth.domain.events import PasswordChanged, PasswordResetRequested
from keel_auth.domain.model import AuditAction, OneTimeSecret, SecretPurpose, split_emailed_token
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import check_password_strength, normalize_email
from keel_auth.service_layer.ports import (
    PasswordHasher,
    RevocationList,
    Throttle,
    UnitOfWork,
)
from keel_auth.service_layer.steps import audit, end_all_sessions
from keel_common.clock import Clock


def forgot_password(
    cmd: ForgotPassword,
    origin: Origin,
    uow: UnitOfWork,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Email a reset token if the account exists; the answer is the same either way, and so
    is the database work as far as it can be: both paths look up, write an audit entry and
    commit (the real one adds a secret and an outbox row to the same transaction)."""
    email = normalize_email(cmd.email)
    throttle.hit("forgot-ip", origin.ip or "-", policy.forgot_per_ip)
    throttle.hit("forgot-email", email, policy.forgot_per_email)
    now = clock()
    with uow:
        user = uow.users.get_by_email(email)
        audit(uow, AuditAction.RESET_REQUESTED, origin, now, user=user)
        if user is None:
            uow.commit()
            return
        secret = OneTimeSecret(SecretPurpose.PASSWORD_RESET, user.id, now, now + policy.reset_ttl)
        uow.secrets.add(secret)
        uow.publish(
            PasswordResetRequested(
                user_id=user.id,
                email=user.email,
                name=user.name,
                reset_token=secret.raw,
                expires_at=secret.expires_at,
                locale=user.locale,
            )
        )
        uow.commit()


def reset_password(
    cmd: ResetPassword,
    origin: Origin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    revocations: RevocationList,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Set a new password with the newest reset token; every session of the user ends.

    The link reached the inbox, so its owner is in control now: the email counts as
    verified, the per-account login and reset budgets start afresh (someone spending them
    cannot keep the owner out), and on an account that was never verified the phones go
    too, since whoever registered the address may have attached their own."""
    secret_id, raw = split_emailed_token(cmd.token)
    now = clock()
    with uow:
        secret = uow.secrets.get(secret_id)
        user = uow.users.get(secret.user_id) if secret else None
        latest = uow.secrets.latest(SecretPurpose.PASSWORD_RESET, user.id) if user else None
        if (
            secret is None
            or user is None
            or secret.purpose is not SecretPurpose.PASSWORD_RESET
            or latest is None
            or latest.id != secret.id
            or not secret.matches(raw, now)
        ):
            raise InvalidOneTimeToken("invalid, expired or used reset token")
        check_password_strength(cmd.password, [user.email, user.name or ""])
        if not uow.secrets.consume(secret, now):  # used by a concurrent request
            raise InvalidOneTimeToken("invalid, expired or used reset token")
        user.password_hash = hasher.hash(cmd.password)
        if not user.email_verified:
            user.drop_phones()
            user.email_verified = True
        end_all_sessions(uow, revocations, user, "password_reset", policy, now)
        uow.publish(
            PasswordChanged(user_id=user.id, email=user.email, name=user.name, locale=user.locale)
        )
        audit(uow, AuditAction.PASSWORD_RESET, origin, now, user=user)
        uow.commit()
    throttle.clear("login-failures", user.email, policy.login_failures_per_account)
    throttle.clear("forgot-email", user.email, policy.forgot_per_email)
