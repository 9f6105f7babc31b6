"""Email verification signs the user in; a new link can be asked for without learning
whether the address is registered."""

import pytest

from keel_auth.domain.commands import ResendVerification, VerifyEmail
from keel_auth.domain.errors import InvalidOneTimeToken
from keel_auth.domain.events import EmailVerificationRequested, UserRegistered
from keel_auth.service_layer import accounts, verification
from keel_auth.service_layer.steps import TokenPair

from .conftest import ORIGIN, World


def verify(world: World, token: str) -> TokenPair:
    return verification.verify_email(
        VerifyEmail(token), ORIGIN, world.uow, world.tokens, world.policy, world.clock
    )


def resend(world: World, email: str = "ada@example.com") -> None:
    verification.resend_verification(
        ResendVerification(email), ORIGIN, world.uow, world.throttle, world.policy, world.clock
    )


def test_verification_marks_the_email_verified_once_and_signs_in(world: World) -> None:
    user = world.sign_up(verified=False)
    token = world.events_of(UserRegistered)[0].verification_token

    pair = verify(world, token)

    assert world.tokens.decode(pair.access_token)["sub"] == str(user.id)
    assert world.stored(user).email_verified is True
    with pytest.raises(InvalidOneTimeToken):
        verify(world, token)


def test_resend_mails_a_new_link_only_to_an_unverified_account(world: World) -> None:
    world.sign_up(verified=False)
    world.sign_up(email="bob@example.com")

    for email in ("ada@example.com", "bob@example.com", "nobody@example.com", "not an email"):
        resend(world, email)  # the same silence for all

    [event] = world.events_of(EmailVerificationRequested)
    assert event.email == "ada@example.com"
    verify(world, event.verification_token)


def test_resend_mails_one_address_a_few_times_at_most(world: World) -> None:
    world.sign_up(verified=False)
    for _ in range(5):
        resend(world)
    assert len(world.events_of(EmailVerificationRequested)) == 3


def test_create_admin_refuses_an_unverified_account(world: World) -> None:
    from keel_auth.domain.errors import InvalidInput

    user = world.sign_up(verified=False)
    with pytest.raises(InvalidInput):
        accounts.create_admin(user.email, None, world.uow, world.hasher, world.clock)
    assert world.stored(user).roles == ["user"]
