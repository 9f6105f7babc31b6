"""A phone is pending until its owner types the code texted to it."""

import pytest

from keel_auth.domain.commands import AddPhone, VerifyPhone
from keel_auth.domain.errors import InvalidCode, InvalidInput, Throttled
from keel_auth.domain.events import PhoneVerificationRequested
from keel_auth.domain.model import User
from keel_auth.service_layer import phones

from .conftest import ORIGIN, World

PHONE = "+14155550123"


def ask(world: World, user: User, phone: str = PHONE) -> str:
    phones.request_phone_code(
        world.principal(user), AddPhone(phone), ORIGIN, world.uow, world.throttle, world.meter,
        world.policy, world.clock,
    )  # fmt: skip
    return world.events_of(PhoneVerificationRequested)[-1].code


def prove(world: World, user: User, code: str, phone: str = PHONE) -> User:
    return phones.verify_phone(
        world.principal(user), VerifyPhone(phone, code), ORIGIN, world.uow, world.throttle,
        world.policy, world.clock,
    )  # fmt: skip


def test_the_code_makes_the_phone_the_users(world: World) -> None:
    user = world.sign_up()
    code = ask(world, user)
    assert world.stored(user).pending_phone == PHONE
    assert world.uow.users.get_by_phone(PHONE) is None

    proved = prove(world, user, code)

    assert (proved.phone, proved.phone_verified, proved.pending_phone) == (PHONE, True, None)


def test_a_wrong_code_or_another_number_proves_nothing(world: World) -> None:
    user = world.sign_up()
    code = ask(world, user)
    with pytest.raises(InvalidCode):
        prove(world, user, "000000" if code != "000000" else "111111")
    with pytest.raises(InvalidCode):
        prove(world, user, code, phone="+14155550199")
    assert world.stored(user).phone is None


def test_a_new_phone_replaces_the_old_one(world: World) -> None:
    user = world.sign_up(phone=PHONE)
    code = ask(world, user, "+14155550199")
    assert world.stored(user).phone == PHONE  # still the proven one until the code comes

    prove(world, user, code, "+14155550199")

    assert world.stored(user).phone == "+14155550199"
    assert world.uow.users.get_by_phone(PHONE) is None


def test_a_number_proved_by_someone_else_leaves_its_old_account(world: World) -> None:
    old = world.sign_up(phone=PHONE)
    new = world.sign_up(email="bob@example.com")

    prove(world, new, ask(world, new))

    assert world.stored(old).phone is None
    assert world.uow.users.get_by_phone(PHONE) == world.stored(new)


def test_codes_are_limited_per_user_and_only_to_allowed_countries(world: World) -> None:
    user = world.sign_up()
    with pytest.raises(InvalidInput):
        ask(world, user, "+2250712345678")
    for n in range(5):
        ask(world, user, f"+1415555{n:04d}")
    with pytest.raises(Throttled):
        ask(world, user, "+14155559999")
