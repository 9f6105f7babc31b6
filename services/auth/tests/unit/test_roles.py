import uuid

import pytest

from keel_auth.domain.commands import SetRoles
from keel_auth.domain.errors import Forbidden, InvalidInput, LastAdmin, UserNotFound
from keel_auth.domain.events import UserRolesChanged
from keel_auth.domain.model import AuditAction, User
from keel_auth.domain.values import roles_grant
from keel_auth.service_layer import accounts
from keel_common.auth import Principal

from .conftest import ORIGIN, PASSWORD, World


def as_principal(user: User) -> Principal:
    return Principal(user.id, frozenset(user.roles), uuid.uuid4())


def set_roles(world: World, actor: Principal, user_id: uuid.UUID, *roles: str) -> User:
    return accounts.set_roles(
        actor,
        SetRoles(user_id, roles),
        ORIGIN,
        world.uow,
        world.revocations,
        world.policy,
        world.clock,
    )


@pytest.fixture
def admin(world: World) -> User:
    return accounts.create_admin("root@example.com", PASSWORD, world.uow, world.hasher, world.clock)


def test_create_admin_makes_a_verified_admin(admin: User) -> None:
    assert admin.roles == ["admin", "user"]
    assert admin.email_verified


def test_create_admin_promotes_an_existing_account(world: World) -> None:
    user = world.sign_up()
    promoted = accounts.create_admin(user.email, None, world.uow, world.hasher, world.clock)
    assert promoted.id == user.id
    assert "admin" in world.stored(user).roles


def test_an_admin_sets_roles_and_it_is_audited(world: World, admin: User) -> None:
    user = world.sign_up()

    changed = set_roles(world, as_principal(admin), user.id, "staff", "user", "staff")

    assert changed.roles == ["staff", "user"]
    [event] = [e for e in world.events_of(UserRolesChanged) if e.user_id == user.id]
    assert event.changed_by == admin.id
    entry = world.uow.audit.entries[-1]
    assert (entry.action, entry.actor_id, entry.user_id) == (
        AuditAction.ROLES_CHANGED,
        admin.id,
        user.id,
    )


def test_a_non_admin_is_forbidden_even_for_themself(world: World) -> None:
    user = world.sign_up()
    with pytest.raises(Forbidden):
        set_roles(world, as_principal(user), user.id, "admin")
    assert user.roles == ["user"]


def test_the_token_roles_do_not_matter_only_the_current_ones(world: World) -> None:
    user = world.sign_up()
    forged = Principal(user.id, frozenset({"admin"}), uuid.uuid4())
    with pytest.raises(Forbidden):
        set_roles(world, forged, user.id, "admin")


def test_a_non_admin_gets_forbidden_not_not_found(world: World) -> None:
    user = world.sign_up()
    with pytest.raises(Forbidden):
        set_roles(world, as_principal(user), uuid.uuid4(), "user")


def test_an_unknown_user_is_not_found(world: World, admin: User) -> None:
    with pytest.raises(UserNotFound):
        set_roles(world, as_principal(admin), uuid.uuid4(), "user")


def test_an_unknown_role_is_invalid(world: World, admin: User) -> None:
    user = world.sign_up()
    with pytest.raises(InvalidInput):
        set_roles(world, as_principal(admin), user.id, "superuser")


def test_taking_a_role_away_ends_the_users_sessions(world: World, admin: User) -> None:
    user = world.sign_up()
    set_roles(world, as_principal(admin), user.id, "staff", "user")
    sid = uuid.UUID(world.tokens.decode(world.log_in().access_token)["sid"])

    set_roles(world, as_principal(admin), user.id, "user")

    assert world.revocations.is_revoked(sid)


def test_adding_a_role_keeps_the_sessions(world: World, admin: User) -> None:
    world.sign_up()
    sid = uuid.UUID(world.tokens.decode(world.log_in().access_token)["sid"])
    user = world.uow.users.get_by_email("ada@example.com")
    assert user is not None

    set_roles(world, as_principal(admin), user.id, "staff", "user")

    assert not world.revocations.is_revoked(sid)


def test_permissions_follow_roles(world: World, admin: User) -> None:
    user = world.sign_up()
    assert accounts.check_permission(admin.id, "orders:refund", world.uow)
    assert not accounts.check_permission(user.id, "products:write", world.uow)
    assert not accounts.check_permission(uuid.uuid4(), "products:write", world.uow)
    assert roles_grant(["staff"], "products:write")
    assert not roles_grant(["staff"], "products:delete")


def test_get_users_keeps_the_order_asked_and_skips_unknown_ids(world: World) -> None:
    ada = world.sign_up()
    bob = world.sign_up(email="bob@example.com")
    found = accounts.get_users([bob.id, uuid.uuid4(), ada.id, bob.id], world.uow)
    assert [user.id for user in found] == [bob.id, ada.id]


def test_get_user_of_an_unknown_id_is_not_found(world: World) -> None:
    with pytest.raises(UserNotFound):
        accounts.get_user(uuid.uuid4(), world.uow)


def test_the_last_admin_cannot_demote_themself(world: World, admin: User) -> None:
    with pytest.raises(LastAdmin):
        set_roles(world, as_principal(admin), admin.id, "user")
    assert "admin" in world.stored(admin).roles


def test_an_admin_can_be_demoted_while_another_remains(world: World, admin: User) -> None:
    other = world.sign_up(email="second@example.com")
    set_roles(world, as_principal(admin), other.id, "admin")

    set_roles(world, as_principal(admin), admin.id, "user")

    assert world.stored(admin).roles == ["user"]
    with pytest.raises(LastAdmin):
        set_roles(world, as_principal(world.stored(other)), other.id, "staff")
