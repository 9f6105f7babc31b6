import uuid

import pytest

from keel_auth.domain.commands import RefreshSession
from keel_auth.domain.errors import AccountDisabled, InvalidCredentials, InvalidRefreshToken
from keel_auth.service_layer import sessions
from keel_auth.service_layer.steps import disable_account

from .conftest import ORIGIN, World


def disable(world: World, email: str = "ada@example.com") -> None:
    with world.uow:
        user = world.uow.users.get_by_email(email)
        assert user is not None
        disable_account(
            world.uow, world.revocations, user, "support ticket", world.policy, world.clock()
        )
        world.uow.commit()


def test_a_disabled_account_cannot_sign_in_even_with_the_right_password(world: World) -> None:
    world.sign_up()
    world.log_in()
    disable(world)

    with pytest.raises(AccountDisabled):
        world.log_in()
    with pytest.raises(InvalidCredentials):  # a wrong password still says nothing more
        world.log_in(password="not the right password")


def test_disabling_ends_every_session_and_denies_its_tokens(world: World) -> None:
    user = world.sign_up()
    first, second = world.log_in(), world.log_in()
    disable(world)

    assert world.uow.sessions.active_for_user(user.id) == []
    for pair in (first, second):
        sid = world.tokens.decode(pair.access_token)["sid"]
        assert world.revocations.is_revoked(uuid.UUID(sid))
        with pytest.raises(InvalidRefreshToken):
            sessions.refresh_session(
                RefreshSession(pair.refresh_token),
                ORIGIN,
                world.uow,
                world.tokens,
                world.revocations,
                world.policy,
                world.clock,
            )


def test_an_enabled_account_signs_in_again(world: World) -> None:
    world.sign_up()
    disable(world)
    with world.uow:
        user = world.uow.users.get_by_email("ada@example.com")
        assert user is not None and user.enable()
        world.uow.commit()

    assert world.log_in().access_token
