from datetime import timedelta

import pytest

from keel_auth.adapters.fakes import FakeOtpSmsMeter, FakeThrottle
from keel_auth.domain.commands import RequestOtp, VerifyOtp
from keel_auth.domain.errors import InvalidCode, InvalidInput, Throttled
from keel_auth.domain.events import OtpRequested
from keel_auth.domain.policy import AuthPolicy, Limit
from keel_auth.service_layer import otp
from keel_auth.service_layer.steps import TokenPair

from .conftest import ORIGIN, World

PHONE = "+14155550123"


def request(world: World, phone: str = PHONE) -> None:
    otp.request_otp(
        RequestOtp(phone), ORIGIN, world.uow, world.throttle, world.meter, world.policy, world.clock
    )


def verify(world: World, code: str, phone: str = PHONE) -> TokenPair:
    return otp.verify_otp(
        VerifyOtp(phone, code),
        ORIGIN,
        world.uow,
        world.tokens,
        world.throttle,
        world.policy,
        world.clock,
    )


def sent_code(world: World) -> str:
    return world.events_of(OtpRequested)[-1].code


def test_a_six_digit_code_goes_out_by_transactional_sms(world: World) -> None:
    user = world.sign_up(phone=PHONE)
    world.meter = FakeOtpSmsMeter()  # forget the text that proved the phone

    request(world)

    [event] = world.events_of(OtpRequested)
    assert (event.user_id, event.phone, event.channel) == (user.id, PHONE, "transactional")
    assert len(event.code) == 6
    assert event.code.isdigit()
    assert event.expires_at == world.clock.now + timedelta(minutes=5)
    assert world.meter.sent_to == ["US"]


def test_the_code_is_stored_only_hashed(world: World) -> None:
    world.sign_up(phone=PHONE)
    request(world)
    [secret] = world.uow.secrets.rows[-1:]
    assert sent_code(world) not in secret.secret_hash


def test_an_unknown_phone_gets_the_same_answer_and_no_sms(world: World) -> None:
    request(world)  # no exception: the client cannot tell

    assert world.events_of(OtpRequested) == []
    assert world.meter.sent_to == []


def test_a_bad_phone_is_invalid_input(world: World) -> None:
    with pytest.raises(InvalidInput):
        request(world, phone="555-0123")


def test_sms_only_goes_to_allowed_countries(world: World) -> None:
    world.sign_up()

    with pytest.raises(InvalidInput):  # Côte d'Ivoire, not on the default allowlist
        request(world, phone="+2250712345678")
    assert world.events_of(OtpRequested) == []
    assert world.meter.refusals == ["region"]


def test_the_right_code_signs_in_and_verifies_the_phone(world: World) -> None:
    user = world.sign_up(phone=PHONE)
    request(world)

    pair = verify(world, sent_code(world))

    assert world.tokens.decode(pair.access_token)["sub"] == str(user.id)
    assert world.stored(user).phone_verified is True


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef"])
def test_a_wrong_code_is_refused(world: World, code: str) -> None:
    world.sign_up(phone=PHONE)
    request(world)
    if code == sent_code(world):
        code = "999999" if code != "999999" else "000001"

    with pytest.raises(InvalidCode):
        verify(world, code)


def test_a_code_works_once(world: World) -> None:
    world.sign_up(phone=PHONE)
    request(world)
    verify(world, sent_code(world))

    with pytest.raises(InvalidCode):
        verify(world, sent_code(world))


def test_a_code_expires_after_five_minutes(world: World) -> None:
    world.sign_up(phone=PHONE)
    request(world)
    world.clock.advance(timedelta(minutes=5))

    with pytest.raises(InvalidCode):
        verify(world, sent_code(world))


def test_only_the_newest_code_counts(world: World) -> None:
    world.sign_up(phone=PHONE)
    request(world)
    first = sent_code(world)
    request(world)
    if first == sent_code(world):
        pytest.skip("both random codes happened to be equal")

    with pytest.raises(InvalidCode):
        verify(world, first)


def test_after_five_attempts_even_the_right_code_is_throttled(world: World) -> None:
    world.sign_up(phone=PHONE)
    request(world)
    wrong = "000000" if sent_code(world) != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(InvalidCode):
            verify(world, wrong)

    with pytest.raises(Throttled):
        verify(world, sent_code(world))


def test_requests_are_limited_per_phone(world: World) -> None:
    world.sign_up(phone=PHONE)
    for _ in range(3):
        request(world)
    with pytest.raises(Throttled):
        request(world)
    assert world.meter.refusals == ["throttled"]


def test_requests_are_limited_per_client_ip(world: World) -> None:
    for n in range(10):
        request(world, phone=f"+1415555{n:04d}")
    with pytest.raises(Throttled):
        request(world, phone="+14155559999")


def test_a_pending_phone_gets_no_login_code(world: World) -> None:
    world.sign_up(phone=PHONE, verified=False)  # given at sign-up, never proved

    request(world)

    assert world.events_of(OtpRequested) == []
    assert world.meter.sent_to == []


def test_unknown_numbers_do_not_spend_the_shared_buckets(world: World) -> None:
    world.sign_up(phone=PHONE)
    world.throttle = FakeThrottle()  # forget the texts that proved the phones
    world.policy = AuthPolicy(
        otp_request_per_calling_code=Limit(1, 3600), otp_sms_per_day=Limit(1, 86400)
    )
    for n in range(5):
        request(world, phone=f"+1212555{n:04d}")  # 20 addresses pumping +1 numbers

    request(world)

    assert [event.phone for event in world.events_of(OtpRequested)] == [PHONE]


def test_the_calling_code_bucket_stops_sending_without_telling(world: World) -> None:
    world.sign_up(email="a@example.com", phone="+14155550001")
    world.sign_up(email="b@example.com", phone="+12125550002")
    world.sign_up(email="c@example.com", phone="+4915112345678")
    world.throttle = FakeThrottle()
    world.policy = AuthPolicy(otp_request_per_calling_code=Limit(1, 3600))
    request(world, phone="+14155550001")
    request(world, phone="+12125550002")  # same answer, but no text: the +1 bucket is empty
    request(world, phone="+4915112345678")  # another calling code is unaffected

    sent = [event.phone for event in world.events_of(OtpRequested)]
    assert sent == ["+14155550001", "+4915112345678"]
    assert "throttled" in world.meter.refusals


def test_the_daily_sms_cap_stops_sending_and_is_metered(world: World) -> None:
    for n in range(3):
        world.sign_up(email=f"user{n}@example.com", phone=f"+1415555000{n}")
    world.throttle = FakeThrottle()
    world.policy = AuthPolicy(otp_sms_per_day=Limit(2, 86400))
    request(world, phone="+14155550000")
    request(world, phone="+14155550001")
    assert world.meter.remaining_today == 0

    request(world, phone="+14155550002")
    assert len(world.events_of(OtpRequested)) == 2


def test_unknown_and_known_numbers_do_the_same_database_work(world: World) -> None:
    world.sign_up(phone=PHONE)
    commits, entries = world.uow.commits, len(world.uow.audit.entries)

    request(world, phone="+12125550000")

    assert world.uow.commits == commits + 1
    assert len(world.uow.audit.entries) == entries + 1
