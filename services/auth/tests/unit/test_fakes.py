"""The fake unit of work behaves like the database's: what is not committed leaves no trace,
so the use-case tests cannot pass on writes a real transaction would have thrown away."""

from __future__ import annotations

from keel_auth.domain.events import PasswordChanged

from .conftest import World


def test_work_left_without_commit_is_discarded(world: World) -> None:
    user = world.sign_up(verified=False)
    with world.uow as uow:
        stored = uow.users.get(user.id)
        assert stored is not None
        stored.email_verified = True
        uow.publish(PasswordChanged(user_id=user.id, email=user.email, name=user.name))

    assert world.stored(user).email_verified is False
    assert world.events_of(PasswordChanged) == []


def test_committed_work_stays(world: World) -> None:
    user = world.sign_up(verified=False)
    with world.uow as uow:
        stored = uow.users.get(user.id)
        assert stored is not None
        stored.email_verified = True
        uow.commit()

    assert world.stored(user).email_verified is True
