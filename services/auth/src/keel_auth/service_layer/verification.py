"""Proving an email address: the link of the welcome email signs the user in; a new link
can be asked for at any time without learning whether the address is registered."""

from __future__ import annotations

from keel_auth.domain.commands import Origin, ResendVerification, VerifyEmail
from keel_auth.domain.errors import InvalidInput, Throttled
from keel_auth.domain.events import EmailVerificationRequested
from keel_auth.domain.mfa import EMAIL_LINK
from keel_auth.domain.model import AuditAction, OneTimeSecret, SecretPurpose
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import normalize_email
from keel_auth.service_layer.ports import AccessTokens, Throttle, UnitOfWork
from keel_auth.service_layer.steps import (
    MfaRequired,
    TokenPair,
    audit,
    emailed_secret,
    finish_sign_in,
    spend_secret,
)
from keel_common.clock import Clock


def verify_email(
    cmd: VerifyEmail,
    origin: Origin,
    uow: UnitOfWork,
    tokens: AccessTokens,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair | MfaRequired:
    """Mark the address verified and sign the user in (the link proves the inbox)."""
    now = clock()
    with uow:
        what = "verification token"
        purpose = SecretPurpose.EMAIL_VERIFICATION
        secret, user = emailed_secret(uow, cmd.token, purpose, now, what=what)
        spend_secret(uow, secret, now, what=what)
        user.email_verified = True
        audit(uow, AuditAction.EMAIL_VERIFIED, origin, now, user=user)
        pair = finish_sign_in(uow, tokens, user, origin, policy, now, amr=[EMAIL_LINK])
        action = AuditAction.LOGIN_SUCCEEDED if isinstance(pair, TokenPair) else None
        audit(
            uow, action or AuditAction.MFA_CHALLENGED, origin, now, user=user, method="email_link"
        )
        uow.commit()
        return pair


def resend_verification(
    cmd: ResendVerification,
    origin: Origin,
    uow: UnitOfWork,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Email a new link if an unverified account has this address; always the same answer
    (only the per-IP limit answers 429, and it does not depend on the address)."""
    try:
        email = normalize_email(cmd.email)
    except InvalidInput:
        return
    throttle.hit("resend-ip", origin.ip or "-", policy.resend_per_ip)
    now = clock()
    with uow:
        user = uow.users.get_by_email(email)
        if user is None or user.email_verified:
            return
        try:
            throttle.hit("resend-email", email, policy.resend_per_email)
        except Throttled:
            return
        secret = OneTimeSecret(
            SecretPurpose.EMAIL_VERIFICATION, user.id, now, now + policy.verification_ttl
        )
        uow.secrets.add(secret)
        uow.publish(
            EmailVerificationRequested(
                user_id=user.id,
                email=user.email,
                name=user.name,
                verification_token=secret.raw,
                verification_expires_at=secret.expires_at,
                locale=user.locale,
            )
        )
        uow.commit()
