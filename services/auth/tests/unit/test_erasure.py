"""Account erasure in auth (issue #14), with fakes."""

import uuid

import pytest

from keel_auth.domain.commands import DeleteAccount, EraseUser, RequestOtp
from keel_auth.domain.erasure import Erasure
from keel_auth.domain.errors import (
    Forbidden,
    InvalidCredentials,
    Throttled,
    Unauthenticated,
    UserNotFound,
)
from keel_auth.domain.events import (
    AccountErased,
    AccountErasureRequested,
    OtpRequested,
    UserRegistered,
)
from keel_auth.domain.model import AuditAction, User
from keel_auth.service_layer import otp, privacy

from .conftest import ORIGIN, PASSWORD, World


def delete_me(world: World, user: User, **proof: str) -> Erasure:
    return privacy.delete_account(
        world.principal(user), DeleteAccount(**proof), ORIGIN, world.uow, world.hasher,
        world.revocations, world.throttle, world.policy, world.clock,
    )  # fmt: skip


def report_all(world: World, user_id: uuid.UUID, services: tuple[str, ...]) -> None:
    for service in services:
        if service == "auth":
            privacy.erase_auth_data(user_id, world.uow, world.clock)
        else:
            privacy.record_erasure_report(service, user_id, world.clock(), world.uow, world.clock)


def test_deleting_disables_the_account_ends_every_session_and_asks_every_service(
    world: World,
) -> None:
    user = world.sign_up()
    other = world.log_in()
    delete_me(world, user, password=PASSWORD)

    assert world.stored(user).is_disabled
    assert world.uow.sessions.active_for_user(user.id) == []
    sid = world.tokens.decode(other.access_token)["sid"]
    assert world.revocations.is_revoked(uuid.UUID(sid))
    assert [e.user_id for e in world.events_of(AccountErasureRequested)] == [user.id]


def test_a_wrong_password_erases_nothing_and_is_throttled_like_a_login(world: World) -> None:
    user = world.sign_up()
    with pytest.raises(InvalidCredentials):
        delete_me(world, user, password="not the password")
    assert not world.stored(user).is_disabled
    assert world.events_of(AccountErasureRequested) == []
    for _ in range(world.policy.login_failures_per_account.amount - 1):
        with pytest.raises(InvalidCredentials):
            delete_me(world, user, password="not the password")
    with pytest.raises(Throttled):
        delete_me(world, user, password=PASSWORD)


def test_a_passwordless_account_proves_itself_with_a_texted_login_code(world: World) -> None:
    user = world.sign_up(phone="+14155550123")
    with world.uow:
        world.uow.users.get(user.id).password_hash = None  # type: ignore[union-attr]
        world.uow.commit()
    with pytest.raises(InvalidCredentials):
        delete_me(world, user, code="000000")
    otp.request_otp(
        RequestOtp("+14155550123"), ORIGIN, world.uow, world.throttle, world.meter,
        world.policy, world.clock,
    )  # fmt: skip
    code = world.events_of(OtpRequested)[-1].code
    delete_me(world, user, code=code)
    assert world.stored(user).is_disabled


def test_auth_forgets_the_identity_and_keeps_a_pseudonymized_audit_trail(world: World) -> None:
    user = world.sign_up(phone="+14155550123")
    world.log_in()
    delete_me(world, user, password=PASSWORD)
    privacy.erase_auth_data(user.id, world.uow, world.clock)

    uow = world.uow
    assert uow.users.get(user.id) is None
    assert [s for s in uow.sessions.rows.values() if s.user_id == user.id] == []
    assert [s for s in uow.secrets.rows if s.user_id == user.id] == []
    assert uow.refresh_tokens.rows == {}
    trail = [e for e in uow.audit.entries if e.user_id == user.id]
    assert AuditAction.ERASURE_REQUESTED in {e.action for e in trail}
    for entry in uow.audit.entries:
        text = f"{entry.ip} {entry.user_agent} {entry.details}"
        for personal in ("ada@example.com", "+14155550123", ORIGIN.ip, ORIGIN.user_agent):
            assert personal not in text


def test_the_confirmation_goes_out_once_when_the_last_service_reports(world: World) -> None:
    user = world.sign_up()
    delete_me(world, user, password=PASSWORD)
    report_all(world, user.id, ("core", "auth", "search"))
    assert world.events_of(AccountErased) == []
    assert not world.uow.erasures.for_user(user.id).is_complete  # type: ignore[union-attr]

    report_all(world, user.id, ("notification", "core", "auth", "notification"))

    (erased,) = world.events_of(AccountErased)
    assert (erased.user_id, erased.email) == (user.id, "ada@example.com")
    erasure = world.uow.erasures.for_user(user.id)
    assert erasure is not None and erasure.is_complete
    assert erasure.contact_email is None and erasure.contact_name is None


def test_an_admin_erases_an_account_and_reads_the_progress(world: World) -> None:
    admin = world.sign_up("root@example.com")
    with world.uow:
        world.uow.users.get(admin.id).set_roles(["admin"])  # type: ignore[union-attr]
        world.uow.commit()
    user = world.sign_up()
    erase = EraseUser(user.id, "GDPR request by letter")
    privacy.erase_user(
        world.principal(admin), erase, ORIGIN, world.uow, world.revocations, world.policy,
        world.clock,
    )  # fmt: skip
    assert world.stored(user).is_disabled
    report_all(world, user.id, ("core",))
    status = privacy.erasure_status(world.principal(admin), user.id, world.uow, world.policy)
    assert status.completed()["core"] == world.clock()
    assert status.completed()["auth"] is None
    audit = [e for e in world.uow.audit.entries if e.action is AuditAction.ERASURE_REQUESTED]
    assert audit[0].actor_id == admin.id and audit[0].details["reason"] == erase.reason


def test_only_an_admin_erases_someone_else_or_reads_an_erasure(world: World) -> None:
    mallory = world.sign_up("mallory@example.com")
    user = world.sign_up()
    with pytest.raises(Forbidden):
        privacy.erase_user(
            world.principal(mallory), EraseUser(user.id, "spite"), ORIGIN, world.uow,
            world.revocations, world.policy, world.clock,
        )  # fmt: skip
    with pytest.raises(Forbidden):
        privacy.erasure_status(world.principal(mallory), user.id, world.uow, world.policy)
    assert not world.stored(user).is_disabled


def test_a_deleted_account_cannot_ask_again(world: World) -> None:
    user = world.sign_up()
    principal = world.principal(user)
    delete_me(world, user, password=PASSWORD)
    with pytest.raises(Unauthenticated):
        privacy.delete_account(
            principal, DeleteAccount(password=PASSWORD), ORIGIN, world.uow, world.hasher,
            world.revocations, world.throttle, world.policy, world.clock,
        )  # fmt: skip
    assert len(world.events_of(AccountErasureRequested)) == 1
    assert len(world.events_of(UserRegistered)) == 1


def test_an_unknown_user_has_no_erasure(world: World) -> None:
    admin = world.sign_up("root@example.com")
    with world.uow:
        world.uow.users.get(admin.id).set_roles(["admin"])  # type: ignore[union-attr]
        world.uow.commit()
    with pytest.raises(UserNotFound):
        privacy.erasure_status(world.principal(admin), uuid.uuid4(), world.uow, world.policy)
