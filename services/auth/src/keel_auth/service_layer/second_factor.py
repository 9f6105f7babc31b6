"""Checking a second factor (a TOTP code or a recovery code): shared by the sign-in challenge
and by the enrolment and disabling of two-factor. Every check counts toward the per-user
budget first, the right code included, so six digits cannot be enumerated."""

from __future__ import annotations

from datetime import datetime

from keel_auth.domain.mfa import TotpFactor, recovery_code_hash
from keel_auth.domain.model import User
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.ports import SecretBox, Throttle, UnitOfWork

MFA_ATTEMPTS = "mfa-attempts"


def count_attempt(throttle: Throttle, user: User, policy: AuthPolicy) -> None:
    throttle.hit(MFA_ATTEMPTS, str(user.id), policy.mfa_attempts)


def totp_code_ok(
    uow: UnitOfWork, box: SecretBox, factor: TotpFactor, code: str, now: datetime
) -> bool:
    """Whether ``code`` is the app's current one and not used before; records its step."""
    step = factor.matching_step(box.open(factor.secret_encrypted), code, now)
    return step is not None and uow.mfa.use_totp_step(factor, step)


def recovery_code_ok(uow: UnitOfWork, user: User, code: str, now: datetime) -> bool:
    """Whether ``code`` is one of the user's unused recovery codes; spends it."""
    return uow.mfa.use_recovery_code(user.id, recovery_code_hash(user.id, code), now)
