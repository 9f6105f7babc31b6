"""Forgotten passwords: emailed single-use reset tokens."""

from __future__ import annotations

from keel_auth.domain.commands import ForgotPassword, Origin, ResetPassword
from keel_auth.domain.events import PasswordChanged, PasswordResetRequested
from keel_auth.domain.model import AuditAction, OneTimeSecret, SecretPurpose
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import check_password_strength, normalize_email
from keel_auth.service_layer.ports import (
    PasswordHasher,
    RevocationList,
    Throttle,
    UnitOfWork,
)
from keel_auth.service_layer.steps import audit, emailed_secret, end_all_sessions, spend_secret
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
    now = clock()
    with uow:
        what, purpose = "reset token", SecretPurpose.PASSWORD_RESET
        secret, user = emailed_secret(uow, cmd.token, purpose, now, what=what, newest_only=True)
        check_password_strength(cmd.password, [user.email, user.name or ""])
        spend_secret(uow, secret, now, what=what)
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
