"""Proving a phone number before it is used: a number given at sign-up or later stays
pending until its owner types the code texted to it; only proven numbers get login codes.

Asking for a code needs a signed-in user (so a verified email): SMS pumping would need one
verified inbox per handful of texts, and the shared buckets are spent only by texts sent.
"""

from __future__ import annotations

from keel_auth.domain.commands import AddPhone, Origin, VerifyPhone
from keel_auth.domain.errors import InvalidCode, InvalidInput, Throttled, Unauthenticated
from keel_auth.domain.events import PhoneVerificationRequested
from keel_auth.domain.model import AuditAction, OneTimeSecret, SecretPurpose, User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import normalize_phone, phone_calling_code, phone_region
from keel_auth.service_layer.otp import SMS_BUDGET_KEY
from keel_auth.service_layer.ports import OtpSmsMeter, Throttle, UnitOfWork
from keel_auth.service_layer.steps import audit
from keel_common.auth.principal import Principal
from keel_common.clock import Clock


def request_phone_code(
    principal: Principal,
    cmd: AddPhone,
    origin: Origin,
    uow: UnitOfWork,
    throttle: Throttle,
    meter: OtpSmsMeter,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Make ``phone`` the caller's pending number and text it a code."""
    phone = normalize_phone(cmd.phone)
    region = phone_region(phone)
    if region not in policy.otp_regions:
        meter.refused("region")
        raise InvalidInput("phone", "SMS codes cannot be sent to this country")
    try:
        throttle.hit("phone-code-user", str(principal.user_id), policy.phone_code_per_user)
        throttle.hit("phone-code-phone", phone, policy.phone_code_per_phone)
        calling_code = phone_calling_code(phone)
        throttle.hit("otp-request-cc", calling_code, policy.otp_request_per_calling_code)
        throttle.hit("otp-sms-day", SMS_BUDGET_KEY, policy.otp_sms_per_day)
    except Throttled:
        meter.refused("throttled")
        raise
    now = clock()
    with uow:
        user = _caller(uow, principal)
        user.pending_phone = phone
        secret = OneTimeSecret(
            SecretPurpose.PHONE_VERIFICATION, user.id, now, now + policy.phone_code_ttl
        )
        uow.secrets.add(secret)
        uow.publish(
            PhoneVerificationRequested(
                user_id=user.id,
                phone=phone,
                code=secret.raw,
                expires_at=secret.expires_at,
                locale=user.locale,
            )
        )
        uow.commit()
    meter.sent(region, throttle.remaining("otp-sms-day", SMS_BUDGET_KEY, policy.otp_sms_per_day))


def verify_phone(
    principal: Principal,
    cmd: VerifyPhone,
    origin: Origin,
    uow: UnitOfWork,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> User:
    """The newest code sent to the caller's pending ``phone``: it becomes their phone,
    replacing the old one (and leaving any account that held it before)."""
    phone = normalize_phone(cmd.phone)
    throttle.hit("phone-verify-user", str(principal.user_id), policy.phone_verify_per_user)
    now = clock()
    with uow:
        user = _caller(uow, principal)
        secret = uow.secrets.latest(SecretPurpose.PHONE_VERIFICATION, user.id)
        if user.pending_phone != phone or secret is None or not secret.matches(cmd.code, now):
            raise InvalidCode("wrong, expired or used code")
        if not uow.secrets.consume(secret, now):  # used by a concurrent request
            raise InvalidCode("wrong, expired or used code")
        if user.phone != phone:
            uow.users.release_phone(phone)
        user.confirm_phone(phone)
        audit(uow, AuditAction.PHONE_VERIFIED, origin, now, user=user)
        uow.commit()
        return user


def _caller(uow: UnitOfWork, principal: Principal) -> User:
    session = uow.sessions.get(principal.session_id)
    user = uow.users.get(principal.user_id)
    if session is None or not session.is_active or user is None:
        raise Unauthenticated("the session has ended")
    return user
