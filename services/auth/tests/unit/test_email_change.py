"""Email change use cases with fakes (issue #14)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel_auth.domain.commands import ChangeEmail, ConfirmEmailChange
from keel_auth.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    InvalidOneTimeToken,
    MalformedToken,
)
from keel_auth.domain.events import EmailChanged, EmailChangeRequested
from keel_auth.domain.model import User
from keel_auth.service_layer import email_change

from .conftest import ORIGIN, PASSWORD, World

NEW = "ada.new@example.com"


def ask(world: World, user: User, new_email: str = NEW, password: str = PASSWORD) -> None:
    email_change.request_email_change(
        world.principal(user), ChangeEmail(new_email, password), ORIGIN, world.uow,
        world.hasher, world.throttle, world.policy, world.clock,
    )  # fmt: skip


def confirm(world: World, token: str) -> User:
    return email_change.confirm_email_change(
        ConfirmEmailChange(token), ORIGIN, world.uow, world.revocations, world.policy, world.clock
    )


def requested(world: World) -> EmailChangeRequested:
    event: EmailChangeRequested = world.events_of(EmailChangeRequested)[-1]
    return event


def test_the_link_moves_the_account_and_ends_every_session(world: World) -> None:
    user = world.sign_up()
    ask(world, user)
    token = requested(world).confirmation_token
    assert token is not None

    moved = confirm(world, token)

    assert (moved.email, moved.email_verified) == (NEW, True)
    assert world.uow.sessions.active_for_user(user.id) == []
    [changed] = world.events_of(EmailChanged)
    assert changed.previous_email == "ada@example.com"


def test_the_link_is_single_use_and_expires(world: World) -> None:
    user = world.sign_up()
    ask(world, user)
    token = requested(world).confirmation_token
    assert token is not None
    world.clock.advance(world.policy.email_change_ttl + timedelta(seconds=1))

    with pytest.raises(InvalidOneTimeToken):
        confirm(world, token)

    world.sign_up("bob@example.com")
    bob = world.uow.users.get_by_email("bob@example.com")
    assert bob is not None
    ask(world, bob, "bob.new@example.com")
    fresh = requested(world).confirmation_token
    assert fresh is not None
    confirm(world, fresh)
    with pytest.raises(InvalidOneTimeToken):
        confirm(world, fresh)


def test_a_taken_address_does_the_same_work_but_sends_no_link(world: World) -> None:
    user = world.sign_up()
    world.sign_up("bob@example.com")
    secrets_before, commits_before = len(world.uow.secrets.rows), world.uow.commits

    ask(world, user, "bob@example.com")

    event = requested(world)
    assert event.confirmation_token is None
    assert event.email == "ada@example.com"  # the notice to the current address
    assert len(world.uow.secrets.rows) == secrets_before + 1  # as for a free address
    assert world.uow.commits == commits_before + 1


def test_an_address_taken_before_confirmation_is_refused(world: World) -> None:
    user = world.sign_up()
    ask(world, user)
    token = requested(world).confirmation_token
    assert token is not None
    world.sign_up(NEW)

    with pytest.raises(EmailTaken):
        confirm(world, token)

    assert world.stored(user).email == "ada@example.com"


def test_wrong_password_invalid_or_same_address(world: World) -> None:
    user = world.sign_up()

    with pytest.raises(InvalidCredentials):
        ask(world, user, password="wrong password!!")
    with pytest.raises(InvalidInput) as invalid:
        ask(world, user, "nope")
    with pytest.raises(InvalidInput):
        ask(world, user, "Ada@Example.com")

    assert invalid.value.field == "new_email"
    assert world.events_of(EmailChangeRequested) == []


def test_a_token_of_another_purpose_or_shape_is_refused(world: World) -> None:
    world.sign_up(verified=False)
    from keel_auth.domain.events import UserRegistered

    verification = world.events_of(UserRegistered)[-1].verification_token
    with pytest.raises(InvalidOneTimeToken):
        confirm(world, verification)
    with pytest.raises(MalformedToken):
        confirm(world, "garbage")


def test_a_newer_request_voids_the_earlier_link(world: World) -> None:
    user = world.sign_up()
    ask(world, user)
    first = requested(world).confirmation_token
    ask(world, user, "ada.other@example.com")
    assert first is not None

    with pytest.raises(InvalidOneTimeToken):
        confirm(world, first)
