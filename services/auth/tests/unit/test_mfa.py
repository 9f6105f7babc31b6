"""Two-factor use cases with fakes: the sign-in gate, the challenge, codes used once."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from keel_auth.adapters.secret_box import FernetSecretBox
from keel_auth.domain.commands import AnswerMfaChallenge
from keel_auth.domain.errors import InvalidCode, InvalidMfaToken, MfaConflict, Throttled
from keel_auth.domain.model import User
from keel_auth.service_layer import mfa_challenge, totp
from keel_auth.service_layer.steps import MfaRequired, TokenPair

from .conftest import ORIGIN, World

BOX = FernetSecretBox(b"unit-test-key")


def enable(world: World, user: User) -> tuple[str, list[str]]:
    principal = world.principal(user)
    secret = totp.start_totp(principal, world.uow, BOX, world.clock).secret
    code = pyotp.TOTP(secret).at(world.clock())
    args = (world.uow, BOX, world.throttle, world.policy, world.clock)
    recovery = totp.confirm_totp(principal, code, ORIGIN, *args)
    world.clock.advance(timedelta(seconds=30))
    return secret, recovery


def answer(world: World, token: str, **kwargs: str) -> TokenPair:
    return mfa_challenge.answer_challenge(
        AnswerMfaChallenge(token, **kwargs),
        ORIGIN,
        world.uow,
        world.tokens,
        BOX,
        world.throttle,
        world.policy,
        world.clock,
    )


def test_the_secret_is_stored_encrypted_and_the_recovery_codes_hashed(world: World) -> None:
    user = world.sign_up()
    secret, recovery = enable(world, user)
    stored = world.uow.mfa.totp_for(user.id)
    assert stored is not None and secret not in stored.secret_encrypted
    assert BOX.open(stored.secret_encrypted) == secret
    hashes = {code.code_hash for code in world.uow.mfa.codes}
    assert len(hashes) == 10 and not hashes & set(recovery)


def test_with_two_factor_on_a_password_earns_an_mfa_token_not_a_session(world: World) -> None:
    user = world.sign_up()
    secret, _ = enable(world, user)
    sessions_before = len(world.uow.sessions.rows)

    result = world.log_in()

    assert isinstance(result, MfaRequired)
    assert len(world.uow.sessions.rows) == sessions_before
    pair = answer(world, result.mfa_token, code=pyotp.TOTP(secret).at(world.clock()))
    assert world.tokens.decode(pair.access_token)["amr"] == ["mfa", "otp", "pwd"]
    with pytest.raises(InvalidMfaToken):
        answer(world, result.mfa_token, code=pyotp.TOTP(secret).at(world.clock()))


def test_a_code_from_the_step_already_used_is_refused(world: World) -> None:
    user = world.sign_up()
    secret, _ = enable(world, user)
    code = pyotp.TOTP(secret).at(world.clock())
    first = world.log_in()
    assert isinstance(first, MfaRequired)
    answer(world, first.mfa_token, code=code)
    second = world.log_in()
    assert isinstance(second, MfaRequired)
    with pytest.raises(InvalidCode):
        answer(world, second.mfa_token, code=code)


def test_the_mfa_token_expires(world: World) -> None:
    user = world.sign_up()
    secret, _ = enable(world, user)
    result = world.log_in()
    assert isinstance(result, MfaRequired)
    world.clock.advance(world.policy.mfa_token_ttl)
    with pytest.raises(InvalidMfaToken):
        answer(world, result.mfa_token, code=pyotp.TOTP(secret).at(world.clock()))


def test_answers_are_limited_per_user(world: World) -> None:
    user = world.sign_up()
    enable(world, user)  # its code was the first answer
    result = world.log_in()
    assert isinstance(result, MfaRequired)
    for _ in range(4):
        with pytest.raises(InvalidCode):
            answer(world, result.mfa_token, code="000000")
    with pytest.raises(Throttled):
        answer(world, result.mfa_token, code="000000")


def test_two_factor_cannot_be_started_again_while_on(world: World) -> None:
    user = world.sign_up()
    enable(world, user)
    with pytest.raises(MfaConflict):
        totp.start_totp(world.principal(user), world.uow, BOX, world.clock)
