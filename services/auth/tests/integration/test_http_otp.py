"""Phone login with SMS codes through the real HTTP interface."""

from __future__ import annotations

from .conftest import Client

PHONE = "+14155550123"


def request_code(client: Client, phone: str = PHONE) -> int:
    return int(client.post("/v1/auth/otp/request", {"phone": phone}).status_code)


def test_a_code_goes_out_by_transactional_sms_and_signs_in(client: Client) -> None:
    user = client.sign_up(phone=PHONE)

    assert request_code(client) == 202
    [sms] = client.events("auth.otp.requested.v1")
    assert (sms["phone"], sms["channel"], len(sms["code"])) == (PHONE, "transactional", 6)

    response = client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": sms["code"]})
    assert response.status_code == 200
    me = client.get("/v1/auth/me", token=response.json()["access_token"]).json()
    assert me["id"] == user["id"]


def test_an_unknown_phone_gets_the_same_202_and_no_sms(client: Client) -> None:
    client.sign_up(phone=PHONE)
    known = client.post("/v1/auth/otp/request", {"phone": PHONE})
    unknown = client.post("/v1/auth/otp/request", {"phone": "+14155550199"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(client.events("auth.otp.requested.v1")) == 1


def test_a_bad_phone_is_422(client: Client) -> None:
    assert request_code(client, "call me maybe") == 422
    assert request_code(client, "+1415") == 422


def test_requests_are_throttled_per_phone(client: Client) -> None:
    client.sign_up(phone=PHONE)
    assert [request_code(client) for _ in range(4)] == [202, 202, 202, 429]


def test_a_wrong_used_or_replayed_code_is_401(client: Client) -> None:
    client.sign_up(phone=PHONE)
    request_code(client)
    code = client.events("auth.otp.requested.v1")[0]["code"]
    wrong = "000000" if code != "000000" else "111111"

    assert client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": wrong}).status_code == 401
    assert client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": code}).status_code == 200
    assert client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": code}).status_code == 401


def test_brute_force_is_stopped_after_five_attempts_even_with_the_right_code(
    client: Client,
) -> None:
    client.sign_up(phone=PHONE)
    request_code(client)
    code = client.events("auth.otp.requested.v1")[0]["code"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        attempt = client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": wrong})
        assert attempt.status_code == 401

    response = client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": code})

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
