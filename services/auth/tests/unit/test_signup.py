import pytest

from keel_auth.adapters.fakes import FakePasswordHasher
from keel_auth.domain.commands import SignUp
from keel_auth.domain.errors import InvalidInput, Throttled
from keel_auth.domain.events import SignUpAttempted, UserRegistered
from keel_auth.domain.model import AuditAction
from keel_auth.domain.policy import AuthPolicy, Limit
from keel_auth.service_layer import accounts

from .conftest import ORIGIN, PASSWORD, World


class CountingHasher(FakePasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.hashed = 0

    def hash(self, password: str) -> str:
        self.hashed += 1
        return super().hash(password)


def sign_up(world: World, **fields: object) -> None:
    values = {"email": "ada@example.com", "password": PASSWORD, **fields}
    cmd = SignUp(**values)  # type: ignore[arg-type]
    accounts.sign_up(
        cmd, ORIGIN, world.uow, world.hasher, world.throttle, world.policy, world.clock
    )


def test_sign_up_creates_an_unverified_user_whose_phone_is_pending(world: World) -> None:
    user = world.sign_up(email="Ada@Example.COM", phone="+14155550123", verified=False)

    assert user.email == "ada@example.com"
    assert (user.phone, user.pending_phone) == (None, "+14155550123")
    assert user.phone_verified is False
    assert user.roles == ["user"]
    assert user.email_verified is False


def test_the_password_is_stored_only_as_a_hash(world: World) -> None:
    user = world.sign_up()

    assert user.password_hash is not None
    assert PASSWORD not in user.password_hash
    assert world.hasher.verify(user.password_hash, PASSWORD)


def test_sign_up_publishes_the_welcome_event_with_a_verification_token(world: World) -> None:
    user = world.sign_up(verified=False)

    [event] = world.events_of(UserRegistered)
    assert event.user_id == user.id
    assert event.email == "ada@example.com"
    assert len(event.verification_token) > 40
    assert [entry.action for entry in world.uow.audit.entries] == [AuditAction.SIGNUP]


def test_a_taken_email_gets_the_same_answer_and_its_owner_an_email(world: World) -> None:
    owner = world.sign_up()

    assert sign_up(world, email="ADA@example.com", password="another fine passphrase") is None

    assert len(world.uow.users.rows) == 1
    assert world.stored(owner).password_hash == owner.password_hash
    [attempt] = world.events_of(SignUpAttempted)
    assert (attempt.user_id, attempt.email, attempt.email_verified) == (owner.id, owner.email, True)


def test_the_owner_is_told_a_few_times_a_day_at_most(world: World) -> None:
    world.sign_up()
    for _ in range(5):
        sign_up(world)
    assert len(world.events_of(SignUpAttempted)) == 3


def test_a_phone_at_sign_up_is_not_unique_until_proved(world: World) -> None:
    world.sign_up(phone="+14155550123")
    sign_up(world, email="bob@example.com", phone="+14155550123")  # no PhoneTaken: no oracle

    bob = world.uow.users.get_by_email("bob@example.com")
    assert bob is not None and bob.phone is None and bob.pending_phone == "+14155550123"


def test_sign_up_is_limited_per_ip_before_any_hashing(world: World) -> None:
    world.hasher = hasher = CountingHasher()
    world.policy = AuthPolicy(signup_per_ip=Limit(2, 3600))
    sign_up(world, email="a@example.com")
    sign_up(world, email="b@example.com")

    with pytest.raises(Throttled):
        sign_up(world, email="c@example.com")
    assert hasher.hashed == 2


def test_sign_up_is_limited_globally(world: World) -> None:
    world.policy = AuthPolicy(signup_global=Limit(1, 3600))
    sign_up(world, email="a@example.com")
    world.throttle.clear("signup-ip", ORIGIN.ip or "-", world.policy.signup_per_ip)
    with pytest.raises(Throttled):
        sign_up(world, email="b@example.com")


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
    sign_up(world, password=password)
    assert world.uow.users.get_by_email("ada@example.com") is not None
