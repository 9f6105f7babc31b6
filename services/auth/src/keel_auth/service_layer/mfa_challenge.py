"""The second step of a sign-in with two-factor on: the ``mfa_token`` and a code."""

from __future__ import annotations

from keel_auth.domain.commands import AnswerMfaChallenge, Origin
from keel_auth.domain.errors import InvalidCode, InvalidMfaToken
from keel_auth.domain.mfa import with_second_factor
from keel_auth.domain.model import AuditAction, hash_secret
from keel_auth.domain.policy import AuthPolicy
from keel_auth.service_layer.ports import AccessTokens, SecretBox, Throttle, UnitOfWork
from keel_auth.service_layer.second_factor import count_attempt, recovery_code_ok, totp_code_ok
from keel_auth.service_layer.steps import TokenPair, audit, start_session
from keel_common.clock import Clock


def answer_challenge(
    cmd: AnswerMfaChallenge,
    origin: Origin,
    uow: UnitOfWork,
    tokens: AccessTokens,
    box: SecretBox,
    throttle: Throttle,
    policy: AuthPolicy,
    clock: Clock,
) -> TokenPair:
    """The token pair, for a live ``mfa_token`` with the app's current code or an unused
    recovery code. A wrong code leaves the token usable (within the attempt budget); the
    right one spends it, so it signs in once."""
    now = clock()
    with uow:
        challenge = uow.mfa.challenge_by_hash(hash_secret(cmd.mfa_token))
        user = uow.users.get(challenge.user_id) if challenge else None
        factor = uow.mfa.totp_for(user.id) if user else None
        if challenge is None or user is None or factor is None or not challenge.is_live(now):
            raise InvalidMfaToken("unknown, expired or used mfa_token; sign in again")
        count_attempt(throttle, user, policy)
        if cmd.code is not None:
            ok, method = totp_code_ok(uow, box, factor, cmd.code, now), "totp"
        else:
            ok, method = recovery_code_ok(uow, user, cmd.recovery_code or "", now), "recovery_code"
        if not ok:
            audit(uow, AuditAction.MFA_FAILED, origin, now, user=user, method=method)
            uow.commit()
            raise InvalidCode("wrong or already used code")
        if not uow.mfa.spend_challenge(challenge, now):
            raise InvalidMfaToken("unknown, expired or used mfa_token; sign in again")
        pair = start_session(
            uow, tokens, user, origin, policy, now, amr=with_second_factor(challenge.amr)
        )
        if method == "recovery_code":
            audit(uow, AuditAction.RECOVERY_CODE_USED, origin, now, user=user)
        audit(uow, AuditAction.LOGIN_SUCCEEDED, origin, now, user=user, method=method)
        uow.commit()
        return pair
