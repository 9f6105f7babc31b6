"""Self-service use cases with fakes (issue #14): password change, profile, sessions."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from keel_auth.domain.commands import ChangePassword, RevokeSession, UpdateProfile
from keel_auth.domain.errors import (
    InvalidCredentials,
    InvalidInput,
    SessionNotFound,
    Throttled,
    Unauthenticated,
)
from keel_auth.domain.events import PasswordChanged, SessionRevoked, UserProfileUpdated
from keel_auth.domain.model import AuditAction
from keel_auth.service_layer import account
from keel_common.auth import Principal

from .conftest import ORIGIN, PASSWORD, World

NEW_PASSWORD = "a brand new passphrase"


def change(world: World, principal: Principal, current: str = PASSWORD, new: str = NEW_PASSWORD):
    account.change_password(
        principal, ChangePassword(current, new), ORIGIN, world.uow, world.hasher,
        world.revocations, world.throttle, world.policy, world.clock,
    )  # fmt: skip


def principal_of(world: World, access_token: str) -> Principal:
    claims = world.tokens.decode(access_token)
    user = world.uow.users.get(uuid.UUID(claims["sub"]))
    assert user is not None
    return Principal(user.id, frozenset(user.roles), uuid.UUID(claims["sid"]))


def test_changing_the_password_ends_only_the_other_sessions(world: World) -> None:
    user = world.sign_up()
    this = principal_of(world, world.log_in().access_token)
    others = [s.id for s in world.uow.sessions.active_for_user(user.id) if s.id != this.session_id]

    change(world, this)

    assert [s.id for s in world.uow.sessions.active_for_user(user.id)] == [this.session_id]
    assert all(world.revocations.is_revoked(sid) for sid in others)
    assert not world.revocations.is_revoked(this.session_id)
    assert {e.session_id for e in world.events_of(SessionRevoked)} == set(others)
    assert world.hasher.verify(world.stored(user).password_hash, NEW_PASSWORD)
    [notice] = world.events_of(PasswordChanged)
    assert notice.email == "ada@example.com"
    assert world.uow.audit.entries[-1].action is AuditAction.PASSWORD_CHANGED


def test_a_wrong_current_password_changes_nothing_but_the_audit(world: World) -> None:
    user = world.sign_up()
    principal = world.principal(user)

    with pytest.raises(InvalidCredentials):
        change(world, principal, current="wrong password!!")

    assert world.hasher.verify(world.stored(user).password_hash, PASSWORD)
    assert world.events_of(PasswordChanged) == []
    assert world.uow.audit.entries[-1].action is AuditAction.PASSWORD_CHANGE_FAILED


def test_the_check_takes_a_slot_of_the_login_budget_before_the_hash(world: World) -> None:
    user = world.sign_up()
    principal = world.principal(user)
    world.throttle.counts["login-failures", user.email] = 10
    checked: list[str] = []
    world.hasher.verify = lambda *args: checked.append("argon2") or True  # type: ignore[method-assign]

    with pytest.raises(Throttled):
        change(world, principal)

    assert checked == []  # refused before argon2 ran


def test_a_weak_new_password_is_refused(world: World) -> None:
    principal = world.principal(world.sign_up())
    with pytest.raises(InvalidInput):
        change(world, principal, new="ada@example.com")


def test_an_ended_session_cannot_change_anything(world: World) -> None:
    user = world.sign_up()
    principal = world.principal(user)
    world.uow.sessions.get(principal.session_id).revoke("logout", world.clock())  # type: ignore[union-attr]

    with pytest.raises(Unauthenticated):
        change(world, principal)


def test_profile_locale_is_stored_normalised_and_announced(world: World) -> None:
    user = world.sign_up()

    updated = account.update_profile(
        world.principal(user), UpdateProfile(locale="fr-ca"), ORIGIN, world.uow, world.clock
    )

    assert (updated.locale, world.stored(user).locale, updated.name) == ("fr-CA", "fr-CA", "Ada")
    [event] = world.events_of(UserProfileUpdated)
    assert event.locale == "fr-CA"


def test_an_empty_name_removes_it_and_a_bad_locale_is_refused(world: World) -> None:
    user = world.sign_up()
    principal = world.principal(user)

    account.update_profile(principal, UpdateProfile(name="  "), ORIGIN, world.uow, world.clock)
    with pytest.raises(InvalidInput):
        account.update_profile(
            principal, UpdateProfile(locale="xx_YY"), ORIGIN, world.uow, world.clock
        )

    assert world.stored(user).name is None


def test_the_users_locale_rides_on_the_password_changed_event(world: World) -> None:
    user = world.sign_up()
    principal = world.principal(user)
    account.update_profile(principal, UpdateProfile(locale="fr"), ORIGIN, world.uow, world.clock)

    change(world, principal)

    assert world.events_of(PasswordChanged)[-1].locale == "fr"


def test_sessions_are_listed_newest_first_without_ended_or_too_old_ones(world: World) -> None:
    user = world.sign_up()  # session 1 (the verification link)
    world.clock.advance(timedelta(minutes=1))
    second = principal_of(world, world.log_in().access_token)
    world.clock.advance(timedelta(minutes=1))
    third = principal_of(world, world.log_in().access_token)
    world.uow.sessions.get(second.session_id).revoke("logout", world.clock())  # type: ignore[union-attr]

    listed = account.list_sessions(third, world.uow, world.policy, world.clock)

    assert listed[0].id == third.session_id
    assert second.session_id not in [s.id for s in listed]
    assert len(listed) == 2
    world.clock.advance(world.policy.session_max_age)  # past their absolute end
    assert account.list_sessions(third, world.uow, world.policy, world.clock) == []
    assert len(world.uow.sessions.active_for_user(user.id)) == 2  # never revoked, only over


def test_revoking_a_session_denies_its_tokens(world: World) -> None:
    user = world.sign_up()
    other = principal_of(world, world.log_in().access_token)
    mine = principal_of(world, world.log_in().access_token)

    account.revoke_session(
        mine, RevokeSession(other.session_id), ORIGIN, world.uow, world.revocations,
        world.policy, world.clock,
    )  # fmt: skip

    assert world.revocations.is_revoked(other.session_id)
    assert other.session_id not in [s.id for s in world.uow.sessions.active_for_user(user.id)]
    assert world.uow.audit.entries[-1].action is AuditAction.SESSION_REVOKED


def test_another_users_session_is_not_found(world: World) -> None:
    ada = world.principal(world.sign_up())
    bob = world.principal(world.sign_up("bob@example.com"))

    for target in (bob.session_id, uuid.uuid4()):
        with pytest.raises(SessionNotFound):
            account.revoke_session(
                ada, RevokeSession(target), ORIGIN, world.uow, world.revocations,
                world.policy, world.clock,
            )  # fmt: skip

    assert not world.revocations.is_revoked(bob.session_id)
