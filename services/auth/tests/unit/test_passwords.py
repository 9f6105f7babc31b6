import uuid
from datetime import timedelta

import pytest

from keel_auth.domain.commands import ForgotPassword, ResetPassword
from keel_auth.domain.errors import (
    InvalidCredentials,
    InvalidInput,
    InvalidOneTimeToken,
    MalformedToken,
    Throttled,
)
from keel_auth.domain.events import PasswordChanged, PasswordResetRequested, UserRegistered
from keel_auth.domain.model import AuditAction
from keel_auth.service_layer import passwords

from .conftest import ORIGIN, World

NEW_PASSWORD = "a brand new passphrase"


def forgot(world: World, email: str = "ada@example.com") -> None:
    passwords.forgot_password(
        ForgotPassword(email), ORIGIN, world.uow, world.throttle, world.policy, world.clock
    )


def reset(world: World, token: str, password: str = NEW_PASSWORD) -> None:
    passwords.reset_password(
        ResetPassword(token, password),
        ORIGIN,
        world.uow,
        world.hasher,
        world.revocations,
        world.throttle,
        world.policy,
        world.clock,
    )


def reset_token(world: World) -> str:
    return world.events_of(PasswordResetRequested)[-1].reset_token


def test_forgot_password_emails_a_reset_token(world: World) -> None:
    user = world.sign_up()
    forgot(world)
    [event] = world.events_of(PasswordResetRequested)
    assert (event.user_id, event.email) == (user.id, "ada@example.com")
    assert event.expires_at == world.clock.now + timedelta(minutes=30)


def test_forgot_password_for_an_unknown_email_is_silent(world: World) -> None:
    forgot(world, "nobody@example.com")
    assert world.events_of(PasswordResetRequested) == []


def test_unknown_and_known_emails_do_the_same_database_work(world: World) -> None:
    commits, entries = world.uow.commits, len(world.uow.audit.entries)
    forgot(world, "nobody@example.com")
    assert world.uow.commits == commits + 1
    assert len(world.uow.audit.entries) == entries + 1


def test_forgot_password_is_limited_per_email(world: World) -> None:
    for _ in range(3):
        forgot(world, "nobody@example.com")
    with pytest.raises(Throttled):
        forgot(world, "nobody@example.com")


def test_reset_sets_the_password_and_ends_every_session(world: World) -> None:
    world.sign_up()
    sessions = [world.log_in(), world.log_in()]
    forgot(world)

    reset(world, reset_token(world))

    assert world.log_in(password=NEW_PASSWORD).access_token
    with pytest.raises(InvalidCredentials):
        world.log_in()
    for pair in sessions:
        sid = world.tokens.decode(pair.access_token)["sid"]
        assert world.revocations.is_revoked(uuid.UUID(sid))
    assert len(world.events_of(PasswordChanged)) == 1
    assert AuditAction.PASSWORD_RESET in [entry.action for entry in world.uow.audit.entries]


def test_a_reset_token_works_once(world: World) -> None:
    world.sign_up()
    forgot(world)
    token = reset_token(world)
    reset(world, token)
    with pytest.raises(InvalidOneTimeToken):
        reset(world, token, password="yet another passphrase")


def test_a_reset_token_expires_after_thirty_minutes(world: World) -> None:
    world.sign_up()
    forgot(world)
    world.clock.advance(timedelta(minutes=30))
    with pytest.raises(InvalidOneTimeToken):
        reset(world, reset_token(world))


def test_a_newer_reset_token_replaces_the_older(world: World) -> None:
    world.sign_up()
    forgot(world)
    older = reset_token(world)
    forgot(world)
    with pytest.raises(InvalidOneTimeToken):
        reset(world, older)


def test_a_tampered_token_is_refused(world: World) -> None:
    world.sign_up()
    forgot(world)
    token = reset_token(world)
    with pytest.raises(InvalidOneTimeToken):
        reset(world, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_a_malformed_token_is_a_bad_request(world: World) -> None:
    with pytest.raises(MalformedToken):
        reset(world, "not-a-token")


def test_a_weak_new_password_keeps_the_token_usable(world: World) -> None:
    world.sign_up()
    forgot(world)
    with pytest.raises(InvalidInput):
        reset(world, reset_token(world), password="short")
    reset(world, reset_token(world))


def test_the_email_verification_token_cannot_reset_a_password(world: World) -> None:
    world.sign_up(verified=False)
    token = world.events_of(UserRegistered)[0].verification_token
    with pytest.raises(InvalidOneTimeToken):
        reset(world, token)


def test_a_reset_takes_a_pre_registered_account_back(world: World) -> None:
    """The attacker registered the victim's address with their own password and phone; the
    owner's reset leaves them nothing: no password, no phone, no session."""
    attacker = world.sign_up(phone="+14155550123", verified=False, password="attacker's own pass")
    with world.uow as uow:  # even a phone proved somehow, and a live session
        stored = uow.users.get(attacker.id)
        assert stored is not None
        stored.confirm_phone("+14155550123")
        uow.commit()
    forgot(world)

    reset(world, reset_token(world))

    owner = world.stored(attacker)
    assert owner.email_verified is True
    assert (owner.phone, owner.pending_phone, owner.phone_verified) == (None, None, False)
    with pytest.raises(InvalidCredentials):
        world.log_in(password="attacker's own pass")
    assert world.uow.users.get_by_phone("+14155550123") is None


def test_a_reset_keeps_the_proven_phone_of_a_verified_account(world: World) -> None:
    user = world.sign_up(phone="+14155550123")
    forgot(world)
    reset(world, reset_token(world))
    assert world.stored(user).phone == "+14155550123"


def test_a_successful_reset_gives_the_owner_back_the_login_budget(world: World) -> None:
    world.sign_up()
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            world.log_in(password="someone guessing")
    with pytest.raises(Throttled):
        world.log_in()
    forgot(world)

    reset(world, reset_token(world))

    assert world.log_in(password=NEW_PASSWORD).access_token
