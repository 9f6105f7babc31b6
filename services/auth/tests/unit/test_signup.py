import pytest

from keel_auth.domain.commands import SignUp
from keel_auth.domain.errors import EmailTaken, InvalidInput, PhoneTaken
from keel_auth.domain.events import UserRegistered
from keel_auth.domain.model import AuditAction
from keel_auth.service_layer import accounts

from .conftest import ORIGIN, PASSWORD, World


def sign_up(world: World, **fields: object) -> object:
    values = {"email": "ada@example.com", "password": PASSWORD, **fields}
    cmd = SignUp(**values)  # type: ignore[arg-type]
    return accounts.sign_up(cmd, ORIGIN, world.uow, world.hasher, world.policy, world.clock)


def test_sign_up_creates_an_unverified_user_with_the_default_role(world: World) -> None:
    user = world.sign_up(email="Ada@Example.COM", phone="+14155550123")

    assert user.email == "ada@example.com"
    assert user.phone == "+14155550123"
    assert user.roles == ["user"]
    assert user.email_verified is False
    assert world.stored(user).email == "ada@example.com"


def test_the_password_is_stored_only_as_a_hash(world: World) -> None:
    user = world.sign_up()

    assert user.password_hash is not None
    assert PASSWORD not in user.password_hash
    assert world.hasher.verify(user.password_hash, PASSWORD)


def test_sign_up_publishes_the_welcome_event_with_a_verification_token(world: World) -> None:
    user = world.sign_up()

    [event] = world.events_of(UserRegistered)
    assert event.user_id == user.id
    assert event.email == "ada@example.com"
    assert len(event.verification_token) > 40
    assert [entry.action for entry in world.uow.audit.entries] == [AuditAction.SIGNUP]


def test_an_email_can_hold_one_account_whatever_its_case(world: World) -> None:
    world.sign_up()
    with pytest.raises(EmailTaken):
        sign_up(world, email="ADA@example.com")


def test_a_phone_can_hold_one_account(world: World) -> None:
    world.sign_up(phone="+14155550123")
    with pytest.raises(PhoneTaken):
        sign_up(world, email="bob@example.com", phone="+14155550123")


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_an_invalid_email_is_refused(world: World, email: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_up(world, email=email)
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    "phone", ["4155550123", "+1415", "+999123456789", "+1 415 555 0123", "+14155550123x"]
)
def test_a_phone_not_in_valid_e164_is_refused(world: World, phone: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_up(world, phone=phone)
    assert caught.value.field == "phone"


@pytest.mark.parametrize(
    "password",
    [
        "elevenchars",  # under 12
        "x" * 129,  # over 128
        "1qaz2wsx3edc",  # in the bundled common-password list
        "QAZWSXEDCRFV",  # the same, whatever the case
        "aaaaaaaaaaaaaaaa",  # long but trivially guessed
        "ada@example.com!",  # made of the user's own email
    ],
)
def test_a_weak_password_is_refused(world: World, password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_up(world, password=password)
    assert caught.value.field == "password"
    assert world.uow.users.rows == {}


@pytest.mark.parametrize(
    "password", ["lowercase only words here", "x7#Kq!2mZp9&", "café crème brûlée à côté"]
)
def test_no_composition_rules_apply(world: World, password: str) -> None:
    user = sign_up(world, password=password)
    assert user is not None
