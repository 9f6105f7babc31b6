"""The back-office's account use cases over fakes: who may do what, and the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

import pytest

from keel_auth.domain.errors import (
    AccountDisabled,
    Forbidden,
    InvalidInput,
    LastAdmin,
    UserNotFound,
)
from keel_auth.domain.model import AuditAction, User
from keel_auth.service_layer import admin_users
from keel_auth.service_layer.ports import UserQuery
from keel_common.auth import InMemoryRevocationList, Principal

from .conftest import ORIGIN, World


def make(world: World, email: str, *roles: str) -> tuple[User, Principal]:
    user = world.sign_up(email)
    with world.uow:
        stored = world.uow.users.get(user.id)
        assert stored is not None
        stored.set_roles(roles or ("user",))
        world.uow.commit()
    return stored, Principal(user.id, frozenset(stored.roles), uuid.uuid4())


def revoke(world: World, actor: Principal, target: User, reason: str = "ticket 12") -> int:
    return admin_users.revoke_sessions(
        actor, target.id, reason, ORIGIN, world.uow, world.revocations, world.policy,
        world.clock,
    )  # fmt: skip


def disable(world: World, actor: Principal, target: User, reason: str = "fraud") -> User:
    return admin_users.disable_user(
        actor, target.id, reason, ORIGIN, world.uow, world.revocations, world.policy,
        world.clock,
    )  # fmt: skip


def roles(world: World, actor: Principal, target: User, *new: str) -> User:
    return admin_users.change_roles(
        actor, target.id, new, "promotion", ORIGIN, world.uow, world.revocations,
        world.policy, world.clock,
    )  # fmt: skip


def last_audit(world: World, action: AuditAction):  # type: ignore[no-untyped-def]
    return [e for e in world.uow.audit.entries if e.action is action][-1]


def test_staff_find_users_by_email_prefix_phone_and_id_newest_first(world: World) -> None:
    _, staff = make(world, "staff@example.com", "staff")
    older = world.sign_up("ada.one@example.com")
    world.clock.advance(timedelta(minutes=1))
    newer = world.sign_up("ada.two@example.com")

    def find(**fields: object) -> list[uuid.UUID]:
        page = admin_users.find_users(staff, UserQuery(**fields), 20, None, world.uow, world.policy)  # type: ignore[arg-type]
        return [u.id for u in page.items]

    assert find(email_prefix="ADA.") == [newer.id, older.id]
    assert find(email="Ada.One@Example.com") == [older.id]
    assert find(user_id=newer.id) == [newer.id]
    assert find(email_prefix="nobody") == []


def test_pages_follow_the_cursor_without_repeats(world: World) -> None:
    _, staff = make(world, "staff@example.com", "staff")
    for n in range(5):
        world.clock.advance(timedelta(seconds=1))
        world.sign_up(f"user{n}@example.com")
    seen: list[str] = []
    cursor = None
    while True:
        query = UserQuery(email_prefix="user")
        page = admin_users.find_users(staff, query, 2, cursor, world.uow, world.policy)
        seen += [u.email for u in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"user{n}@example.com" for n in reversed(range(5))]


def test_a_user_is_refused_every_admin_use_case(world: World) -> None:
    target, plain = make(world, "plain@example.com")
    with pytest.raises(Forbidden):
        admin_users.find_users(plain, UserQuery(), 20, None, world.uow, world.policy)
    with pytest.raises(Forbidden):
        admin_users.user_record(plain, target.id, world.uow, world.policy)
    with pytest.raises(Forbidden):
        admin_users.audit_trail(plain, world.uow, world.policy)
    with pytest.raises(Forbidden):
        admin_users.signup_stats(plain, world.uow, world.policy, world.clock)
    with pytest.raises(Forbidden):
        revoke(world, plain, target)
    with pytest.raises(Forbidden):
        disable(world, plain, target)


def test_staff_revoke_every_session_and_the_tokens_are_denied(world: World) -> None:
    target = world.sign_up()
    first, second = world.log_in(), world.log_in()
    staff_user, staff = make(world, "staff@example.com", "staff")

    assert revoke(world, staff, target, "phone stolen") == 3  # with the email link's session

    assert world.uow.sessions.active_for_user(target.id) == []
    for pair in (first, second):
        sid = uuid.UUID(world.tokens.decode(pair.access_token)["sid"])
        assert world.revocations.is_revoked(sid)
    entry = last_audit(world, AuditAction.SESSIONS_REVOKED)
    assert (entry.user_id, entry.actor_id) == (target.id, staff_user.id)
    assert entry.details["reason"] == "phone stolen"
    assert entry.occurred_at == world.clock()


def test_staff_disable_and_enable_an_account_with_audited_reasons(world: World) -> None:
    target = world.sign_up()
    world.log_in()
    staff_user, staff = make(world, "staff@example.com", "staff")

    disabled = disable(world, staff, target, "chargeback fraud")
    assert disabled.is_disabled and disabled.disabled_reason == "chargeback fraud"
    with pytest.raises(AccountDisabled):
        world.log_in()
    entry = last_audit(world, AuditAction.ACCOUNT_DISABLED)
    assert (entry.user_id, entry.actor_id, entry.details["reason"]) == (
        target.id, staff_user.id, "chargeback fraud"
    )  # fmt: skip

    admin_users.enable_user(
        staff, target.id, "cleared", ORIGIN, world.uow, world.policy, world.clock
    )
    assert world.log_in().access_token
    entry = last_audit(world, AuditAction.ACCOUNT_ENABLED)
    assert (entry.actor_id, entry.details["reason"]) == (staff_user.id, "cleared")


def test_a_reason_is_required(world: World) -> None:
    target = world.sign_up()
    _, staff = make(world, "staff@example.com", "staff")
    with pytest.raises(InvalidInput):
        disable(world, staff, target, "   ")
    assert not world.stored(target).is_disabled


def test_staff_cannot_change_roles_nor_act_on_an_admin(world: World) -> None:
    target = world.sign_up()
    admin, _ = make(world, "admin@example.com", "admin")
    _, staff = make(world, "staff@example.com", "staff")
    with pytest.raises(Forbidden):
        roles(world, staff, target, "staff")
    with pytest.raises(Forbidden):
        disable(world, staff, admin)
    with pytest.raises(Forbidden):
        revoke(world, staff, admin)
    assert world.stored(target).roles == ["user"]


def test_admins_change_roles_with_a_reason_but_never_remove_the_last_admin(
    world: World,
) -> None:
    target = world.sign_up()
    admin_user, admin = make(world, "admin@example.com", "admin")

    assert roles(world, admin, target, "staff", "user").roles == ["staff", "user"]
    entry = last_audit(world, AuditAction.ROLES_CHANGED)
    assert (entry.actor_id, entry.details["reason"]) == (admin_user.id, "promotion")
    with pytest.raises(LastAdmin):
        roles(world, admin, admin_user, "user")


def test_nobody_disables_their_own_account(world: World) -> None:
    admin_user, admin = make(world, "admin@example.com", "admin")
    with pytest.raises(Forbidden):
        disable(world, admin, admin_user)


def test_an_unknown_user_is_not_found(world: World) -> None:
    _, staff = make(world, "staff@example.com", "staff")
    with pytest.raises(UserNotFound):
        admin_users.user_record(staff, uuid.uuid4(), world.uow, world.policy)


class RecordingRevocations(InMemoryRevocationList):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[list[uuid.UUID]] = []

    def revoke_many(self, session_ids: Collection[uuid.UUID], until: datetime) -> None:
        self.writes.append(list(session_ids))
        super().revoke_many(session_ids, until)


def test_every_session_goes_on_the_denylist_in_one_write(world: World) -> None:
    """An account signed in on many devices: one write (one round trip, one announcement to
    the processes holding copies), not one per session."""
    target = world.sign_up()
    for _ in range(4):
        world.log_in()
    _, staff = make(world, "staff@example.com", "staff")
    world.revocations = RecordingRevocations()

    assert revoke(world, staff, target) == 5
    [written] = world.revocations.writes
    assert len(set(written)) == 5
    assert all(world.revocations.is_revoked(session_id) for session_id in written)


def test_the_user_record_lists_active_sessions_and_the_trail_newest_first(
    world: World,
) -> None:
    target = world.sign_up()
    world.clock.advance(timedelta(seconds=1))
    world.log_in()
    _, staff = make(world, "staff@example.com", "staff")

    record = admin_users.user_record(staff, target.id, world.uow, world.policy)
    assert len(record.sessions) == 2
    assert record.sessions[0].created_at > record.sessions[1].created_at
    trail = admin_users.audit_trail(staff, world.uow, world.policy, user_id=target.id).items
    assert trail[0].action is AuditAction.LOGIN_SUCCEEDED  # the later sign-in
    assert trail[0].occurred_at > trail[-1].occurred_at
    assert AuditAction.SIGNUP in {e.action for e in trail}


def test_signup_stats_count_today_and_the_last_seven_days(world: World) -> None:
    world.clock.advance(timedelta(days=-3))
    world.sign_up("old@example.com")
    world.clock.advance(timedelta(days=3))
    world.sign_up("new@example.com")
    _, staff = make(world, "staff@example.com", "staff")

    stats = admin_users.signup_stats(staff, world.uow, world.policy, world.clock)
    assert (stats.today, stats.last_7_days) == (2, 3)


def test_a_bad_cursor_is_a_field_error(world: World) -> None:
    _, staff = make(world, "staff@example.com", "staff")
    with pytest.raises(InvalidInput) as caught:
        admin_users.find_users(staff, UserQuery(), 20, "not-a-cursor", world.uow, world.policy)
    assert caught.value.field == "cursor"
