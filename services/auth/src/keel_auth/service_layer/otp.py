"""Phone login with a one-time SMS code, guarded against brute force and SMS pumping."""

from __future__ import annotations

from keel_auth.domain.commands import Origin, RequestOtp, VerifyOtp
from keel_auth.domain.errors import InvalidCode, InvalidInput, Throttled
from keel_auth.domain.events import OtpRequested
from keel_auth.domain.mfa import SMS
from keel_auth.domain.model import AuditAction, OneTimeSecret, SecretPurpose
from keel_auth.domain.policy import AuthPolicy
from keel_auth.domain.values import normalize_phone, phone_calling_code, phone_region
from keel_auth.service_layer.ports import (
    AccessTokens,
    OtpSmsMeter,
    Throttle,
    UnitOfWork,
)
from keel_auth.service_layer.steps import MfaRequired, TokenPair, audit, finish_sign_in
from keel_common.clock import Clock

SMS_BUDGET_KEY = "all"


def request_otp(
    cmd: RequestOtp,
    origin: Origin,
    uow: UnitOfWork,
    throttle: Throttle,
    meter: OtpSmsMeter,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Send a login code if an account has proven this phone. The answer never says whether
    one has; codes go only to verified numbers, so SMS pumping cannot pick the destination.
    The shared buckets (per calling code, the daily cap) count only texts actually sent, so
    requests for unknown numbers cannot exhaust them for everyone; both paths do the same
    database work but the secret and outbox rows (a lookup, an audit entry, a commit)."""
    phone = normalize_phone(cmd.phone)
    region = phone_region(phone)
    if region not in policy.otp_regions:
        meter.refused("region")
        raise InvalidInput("phone", "SMS codes cannot be sent to this country")
    try:
        throttle.hit("otp-request-ip", origin.ip or "-", policy.otp_request_per_ip)
        throttle.hit("otp-request-phone", phone, policy.otp_request_per_phone)
    except Throttled:
        meter.refused("throttled")
        raise
    now = clock()
    with uow:
        user = uow.users.get_by_phone(phone)
        known = user is not None and user.phone_verified
        audit(uow, AuditAction.OTP_REQUESTED, origin, now, user=user if known else None)
        if user is None or not known or not _spend_sms(throttle, meter, phone, policy):
            uow.commit()
            return
        secret = OneTimeSecret(SecretPurpose.LOGIN_OTP, user.id, now, now + policy.otp_ttl)
        uow.secrets.add(secret)
        uow.publish(
            OtpRequested(
                user_id=user.id,
                phone=phone,
                code=secret.raw,
                expires_at=secret.expires_at,
                locale=user.locale,
            )
        )
        uow.commit()
    meter.sent(region, throttle.remaining("otp-sms-day", SMS_BUDGET_KEY, policy.otp_sms_per_day))


def _spend_sms(throttle: Throttle, meter: OtpSmsMeter, phone: str, policy: AuthPolicy) -> bool:
    """Take one text from the shared buckets; False (and nothing sent) when they are empty.
    The caller's answer does not change: a 429 here would say the number is registered."""
    try:
        throttle.hit(
            "otp-request-cc", phone_calling_code(phone), policy.otp_request_per_calling_code
        )
        throttle.hit("otp-sms-day", SMS_BUDGET_KEY, policy.otp_sms_per_day)
    except Throttled:
        meter.refused("throttled")
        return False
    return True


def verify_otp(
    cmd: VerifyOtp,
    origin: Origin,
    uow: UnitOfWork,
    tokens: AccessTokens,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair | MfaRequired:
    """Sign in with the newest code sent to the phone. Every attempt counts toward the
    per-phone limit, the right code included, so a million codes cannot be tried."""
    phone = normalize_phone(cmd.phone)
    throttle.hit("otp-verify-phone", phone, policy.otp_verify_per_phone)
    now = clock()
    with uow:
        user = uow.users.get_by_phone(phone)
        if user is not None and not user.phone_verified:
            user = None
        secret = uow.secrets.latest(SecretPurpose.LOGIN_OTP, user.id) if user else None
        if user is None or secret is None or not secret.matches(cmd.code, now):
            audit(uow, AuditAction.LOGIN_FAILED, origin, now, user=user, method="otp")
            uow.commit()
            raise InvalidCode("wrong, expired or used code")
        if not uow.secrets.consume(secret, now):  # used by a concurrent request
            raise InvalidCode("wrong, expired or used code")
        pair = finish_sign_in(uow, tokens, user, origin, policy, now, amr=[SMS])
        action = AuditAction.LOGIN_SUCCEEDED if isinstance(pair, TokenPair) else None
        audit(uow, action or AuditAction.MFA_CHALLENGED, origin, now, user=user, method="otp")
        uow.commit()
        return pair
