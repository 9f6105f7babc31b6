"""Turning two-factor authentication (TOTP, RFC 6238) on and off for the signed-in user."""

from __future__ import annotations

from dataclasses import dataclass

from keel_auth.domain.commands import Origin
from keel_auth.domain.errors import InvalidCode, MfaConflict
from keel_auth.domain.mfa import (
    TotpFactor,
    new_recovery_codes,
    new_totp_secret,
    provisioning_uri,
)
from keel_auth.domain.model import AuditAction
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.ports import RevocationList, SecretBox, Throttle, UnitOfWork
from keel_auth.service_layer.second_factor import count_attempt, recovery_code_ok, totp_code_ok
from keel_auth.service_layer.steps import audit, end_session, signed_in_user
from keel_common.auth.principal import Principal
from keel_common.clock import Clock

ISSUER = "Keel"


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


def start_totp(
    principal: Principal, uow: UnitOfWork, box: SecretBox, clock: Clock, issuer: str = ISSUER
) -> TotpEnrolment:
    """A new secret for the authenticator app, pending until ``confirm_totp``; starting
    again replaces a pending one. Refused (409) while two-factor is on."""
    now = clock()
    with uow:
        user = signed_in_user(uow, principal)
        existing = uow.mfa.totp_for(user.id)
        if existing is not None and existing.is_confirmed:
            raise MfaConflict("two-factor authentication is already on; turn it off first")
        uow.mfa.remove_totp(user.id)
        secret = new_totp_secret()
        uow.mfa.add_totp(TotpFactor(user.id, box.seal(secret), now))
        uow.commit()
    return TotpEnrolment(secret, provisioning_uri(secret, user.email, issuer))


def confirm_totp(
    principal: Principal,
    code: str,
    origin: Origin,
    uow: UnitOfWork,
    box: SecretBox,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> list[str]:
    """The app's first code turns two-factor on; the recovery codes are returned this once
    and stored hashed."""
    now = clock()
    with uow:
        user = signed_in_user(uow, principal)
        factor = uow.mfa.totp_for(user.id)
        if factor is None or factor.is_confirmed:
            raise MfaConflict("no pending two-factor set-up: start at POST /v1/auth/mfa/totp")
        count_attempt(throttle, user, policy)
        if not totp_code_ok(uow, box, factor, code, now):
            raise InvalidCode("wrong or already used code")
        factor.confirmed_at = now
        raws, codes = new_recovery_codes(user.id, now)
        uow.mfa.add_recovery_codes(codes)
        audit(uow, AuditAction.MFA_ENABLED, origin, now, user=user, method="totp")
        uow.commit()
    return raws


def disable_totp(
    principal: Principal,
    code: str,
    origin: Origin,
    uow: UnitOfWork,
    box: SecretBox,
    throttle: Throttle,
    revocations: RevocationList,
    policy: AuthPolicy,
    clock: Clock,
) -> None:
    """Turn two-factor off with a current code (or a recovery code: the phone may be lost);
    every other session of the user ends, as after any change of credentials."""
    now = clock()
    with uow:
        user = signed_in_user(uow, principal)
        factor = uow.mfa.totp_for(user.id)
        if factor is None or not factor.is_confirmed:
            raise MfaConflict("two-factor authentication is not on")
        count_attempt(throttle, user, policy)
        if not (
            totp_code_ok(uow, box, factor, code, now) or recovery_code_ok(uow, user, code, now)
        ):
            audit(uow, AuditAction.MFA_FAILED, origin, now, user=user, step="disable")
            uow.commit()
            raise InvalidCode("wrong or already used code")
        uow.mfa.remove_totp(user.id)
        for session in uow.sessions.active_for_user(user.id):
            if session.id != principal.session_id:
                end_session(uow, revocations, session, "mfa_disabled", policy, now)
        audit(uow, AuditAction.MFA_DISABLED, origin, now, user=user, method="totp")
        uow.commit()
