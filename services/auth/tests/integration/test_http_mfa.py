"""Two-factor authentication (TOTP, RFC 6238) over HTTP: enrolment, the sign-in challenge
after a password or an SMS code, recovery codes, the limits, ``amr`` in access tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.config import AuthSettings
from keel_auth.entrypoints.flask_app import create_app
from keel_common.testing import live_server

from .conftest import Client, make_settings
from .mfa_support import StepClock, challenge, code, delete, enable_totp

PHONE = "+14155550123"


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def auth(settings: AuthSettings, clock: StepClock) -> Iterator[Auth]:
    auth = bootstrap(settings, clock=clock)
    yield auth
    auth.close()


def claims(client: Client, access_token: str) -> dict[str, object]:
    return client.auth.tokens.decode(access_token)


def signed_in_with_totp(client: Client, clock: StepClock) -> tuple[str, list[str]]:
    client.sign_up()
    return enable_totp(client, clock, client.log_in()["access_token"])


def test_enrolment_then_password_sign_in_asks_for_the_code(
    client: Client, clock: StepClock
) -> None:
    client.sign_up()
    first = client.log_in()
    assert claims(client, first["access_token"])["amr"] == ["pwd"]
    started = client.post("/v1/auth/mfa/totp", token=first["access_token"]).json()
    assert started["otpauth_uri"].startswith("otpauth://totp/Keel:ada%40example.com?secret=")
    verified = client.post(
        "/v1/auth/mfa/totp/verify", {"code": code(started["secret"], clock)}, first["access_token"]
    )
    codes = verified.json()["recovery_codes"]
    assert verified.status_code == 200 and len(set(codes)) == 10
    clock.next_step()

    answer = client.post("/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.json().keys() == {"mfa_required", "mfa_token"} and answer.json()["mfa_required"]

    pair = challenge(client, answer.json()["mfa_token"], code=code(started["secret"], clock))
    assert pair.status_code == 200, pair.text
    assert claims(client, pair.json()["access_token"])["amr"] == ["mfa", "otp", "pwd"]
    refreshed = client.post("/v1/auth/refresh", {"refresh_token": pair.json()["refresh_token"]})
    assert claims(client, refreshed.json()["access_token"])["amr"] == ["mfa", "otp", "pwd"]


def test_a_pending_secret_changes_nothing_until_verified(client: Client) -> None:
    client.sign_up()
    client.post("/v1/auth/mfa/totp", token=client.log_in()["access_token"])
    assert "access_token" in client.log_in()


def test_a_code_works_once(client: Client, clock: StepClock) -> None:
    secret, _ = signed_in_with_totp(client, clock)
    used = code(secret, clock)
    assert challenge(client, login_token(client), code=used).status_code == 200
    replay = challenge(client, login_token(client), code=used)
    assert replay.status_code == 401
    clock.next_step()
    assert challenge(client, login_token(client), code=code(secret, clock)).status_code == 200


def test_each_recovery_code_works_once(client: Client, clock: StepClock) -> None:
    _, codes = signed_in_with_totp(client, clock)
    pair = challenge(client, login_token(client), recovery_code=codes[0])
    assert pair.status_code == 200
    assert claims(client, pair.json()["access_token"])["amr"] == ["mfa", "otp", "pwd"]
    assert challenge(client, login_token(client), recovery_code=codes[0]).status_code == 401
    assert challenge(client, login_token(client), recovery_code=codes[1]).status_code == 200


def test_sms_code_sign_in_asks_for_the_second_factor_too(client: Client, clock: StepClock) -> None:
    client.sign_up(phone=PHONE)
    secret, _ = enable_totp(client, clock, client.log_in()["access_token"])
    assert client.post("/v1/auth/otp/request", {"phone": PHONE}).status_code == 202
    sms = client.events("auth.otp.requested.v1")[-1]["code"]
    answer = client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": sms}).json()
    assert answer["mfa_required"] is True and "access_token" not in answer
    pair = challenge(client, answer["mfa_token"], code=code(secret, clock))
    assert claims(client, pair.json()["access_token"])["amr"] == ["mfa", "otp", "sms"]


def test_five_answers_per_user_then_even_the_right_code_waits(
    client: Client, clock: StepClock
) -> None:
    secret, _ = signed_in_with_totp(client, clock)  # the enrolment's code was the first
    token = login_token(client)
    wrong = [challenge(client, token, code="000000").status_code for _ in range(3)]
    fresh = [challenge(client, login_token(client), code="999999").status_code]
    right = challenge(client, token, code=code(secret, clock))
    assert wrong + fresh == [401] * 4 and right.status_code == 429


def test_the_mfa_token_expires_after_five_minutes_and_signs_in_once(
    client: Client, clock: StepClock
) -> None:
    secret, _ = signed_in_with_totp(client, clock)
    token = login_token(client)
    assert challenge(client, token, code=code(secret, clock)).status_code == 200
    clock.next_step()
    assert challenge(client, token, code=code(secret, clock)).status_code == 401

    late = login_token(client)
    clock.advance(5 * 60)
    assert challenge(client, late, code=code(secret, clock)).status_code == 401
    assert challenge(client, "made-up", code=code(secret, clock)).status_code == 401


def test_disabling_needs_a_code_and_ends_the_other_sessions(
    client: Client, clock: StepClock
) -> None:
    secret, _ = signed_in_with_totp(client, clock)
    other = challenge(client, login_token(client), code=code(secret, clock)).json()
    clock.next_step()
    mine = challenge(client, login_token(client), code=code(secret, clock)).json()
    clock.next_step()
    token = mine["access_token"]

    assert delete(client, "/v1/auth/mfa/totp", token, {"code": "000000"}).status_code == 401
    assert (
        delete(client, "/v1/auth/mfa/totp", token, {"code": code(secret, clock)}).status_code == 204
    )

    assert client.get("/v1/auth/me", other["access_token"]).status_code == 401
    assert client.get("/v1/auth/me", token).status_code == 200
    assert "access_token" in client.log_in()


def login_token(client: Client) -> str:
    answer = client.log_in()
    assert answer["mfa_required"] is True
    return str(answer["mfa_token"])


@pytest.fixture
def strict_client(database_url: str, tmp_path: Path, clock: StepClock) -> Iterator[Client]:
    """The service with REQUIRE_MFA_FOR_ROLES=admin."""
    from keel_auth.entrypoints.cli import MIGRATIONS
    from keel_common.testing.plugin import upgrade_from_template

    upgrade_from_template(database_url, MIGRATIONS)
    settings = make_settings(database_url, tmp_path, require_mfa_for_roles="admin")
    auth = bootstrap(settings, clock=clock)
    with live_server(create_app(auth)) as base_url:
        yield Client(base_url, auth)
    auth.close()


def test_an_admin_route_refuses_an_admin_without_a_second_factor(
    strict_client: Client, clock: StepClock
) -> None:
    client = strict_client
    client.create_admin("boss@example.com")
    user = client.sign_up()
    one_factor = client.log_in("boss@example.com")["access_token"]
    path = f"/v1/auth/users/{user['id']}/roles"

    refused = client.put(path, {"roles": ["user", "staff"]}, one_factor)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/mfa-required"

    secret, _ = enable_totp(client, clock, one_factor)
    pair = challenge(client, login_token_of(client, "boss@example.com"), code=code(secret, clock))
    assert (
        client.put(path, {"roles": ["user", "staff"]}, pair.json()["access_token"]).status_code
        == 200
    )


def login_token_of(client: Client, email: str) -> str:
    return str(client.log_in(email)["mfa_token"])


PASSWORD = "correct horse battery staple"
