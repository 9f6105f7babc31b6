"""A full flow leaves no password, token or code in the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from keel_auth.adapters.fakes_export import FakeUserDataSource
from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.config import AuthSettings
from keel_common.logging import configure_logging

from .conftest import PASSWORD, Client
from .mfa_support import StepClock, challenge, code, delete, enable_totp
from .test_http_export import run_worker as run_export_worker
from .webauthn_device import SoftAuthenticator

PHONE = "+14155550123"
NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def auth(settings: AuthSettings, clock: StepClock) -> Iterator[Auth]:
    auth = bootstrap(settings, clock=clock)
    yield auth
    auth.close()


def test_no_secret_reaches_a_log(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("auth", "DEBUG")
    caplog.set_level(logging.DEBUG)
    client.sign_up(phone=PHONE)
    pair = client.log_in()
    refreshed = client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}).json()
    client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})  # reuse
    client.post("/v1/auth/otp/request", {"phone": PHONE})
    code = client.events("auth.otp.requested.v1")[0]["code"]
    client.post("/v1/auth/otp/verify", {"phone": PHONE, "code": code})
    client.post("/v1/auth/password/forgot", {"email": "ada@example.com"})
    reset = client.events("auth.password.reset_requested.v1")[0]["reset_token"]
    client.post("/v1/auth/password/reset", {"token": reset, "password": "x"})  # 422
    client.post("/v1/auth/login", {"email": "ada@example.com", "password": "wrong password!"})
    verification = client.events("auth.user.registered.v1")[0]["verification_token"]
    client.post("/v1/auth/email/verify", {"token": verification})
    # Self-service (issue #14): password change, email change and its confirmation link.
    access = client.log_in()["access_token"]
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    client.post("/v1/auth/password/change", change, access)
    client.post("/v1/auth/password/change", {**change, "current_password": "wrong one!!"}, access)
    move = {"new_email": "ada.new@example.com", "password": NEW_PASSWORD}
    client.post("/v1/auth/email/change", move, access)
    link = client.events("auth.email.change_requested.v1")[0]["confirmation_token"]
    client.post("/v1/auth/email/change/confirm", {"token": link})
    client.post("/v1/auth/email/change/confirm", {"token": link})  # used: 401

    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [str(record.__dict__) for record in caplog.records]
    )
    assert len(caplog.records) > 10  # the flow was logged, so the check means something
    secrets = [PASSWORD, "wrong password!", code, reset, verification]
    secrets += [NEW_PASSWORD, "wrong one!!", link, access]
    secrets += [pair["access_token"], pair["refresh_token"], refreshed["access_token"]]
    for secret in secrets:
        assert secret not in logged


def test_no_second_factor_secret_reaches_a_log(
    client: Client, clock: StepClock, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("auth", "DEBUG")
    caplog.set_level(logging.DEBUG)
    client.sign_up()
    first = client.log_in()["access_token"]
    started = client.post("/v1/auth/mfa/totp", token=first).json()
    client.post("/v1/auth/mfa/totp", token=first)  # replaces the pending secret
    secret, recovery = enable_totp(client, clock, first)
    used = [code(secret, clock)]
    mfa_token = client.log_in()["mfa_token"]
    challenge(client, mfa_token, code="271828")
    pair = challenge(client, mfa_token, code=used[0]).json()
    clock.next_step()
    challenge(client, client.log_in()["mfa_token"], recovery_code=recovery[0])
    used.append(code(secret, clock))
    delete(client, "/v1/auth/mfa/totp", pair["access_token"], {"code": used[-1]})
    device = SoftAuthenticator()
    options = client.post("/v1/auth/passkeys/register/options", token=pair["access_token"])
    credential = device.create(options.json())
    client.post(
        "/v1/auth/passkeys/register/verify", {"credential": credential}, pair["access_token"]
    )
    login = device.get(client.post("/v1/auth/passkeys/login/options").json())
    passkey_pair = client.post("/v1/auth/passkeys/login/verify", {"credential": login}).json()

    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [str(record.__dict__) for record in caplog.records]
    )
    assert len(caplog.records) > 10
    secrets = [started["secret"], secret, mfa_token, "271828", *used, *recovery]
    secrets += [pair["access_token"], passkey_pair["access_token"], passkey_pair["refresh_token"]]
    secrets += [login["response"]["signature"]]
    for value in secrets:
        assert value not in logged


def test_no_export_link_reaches_a_log(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    """The export token travels in the URL path (issue #14): access logs must not keep it."""
    configure_logging("auth", "DEBUG")
    caplog.set_level(logging.DEBUG)
    client.sign_up()
    access = client.log_in()["access_token"]
    client.post("/v1/auth/me/export", token=access)
    run_export_worker(client, FakeUserDataSource())
    link = client.events("auth.user.export_ready.v1")[0]["download_token"]
    assert client.get(f"/v1/auth/me/export/{link}").status_code == 200
    assert client.get(f"/v1/auth/me/export/{link}").status_code == 404  # used

    # The test's own HTTP client and server (urllib3, werkzeug) are not the service's logs;
    # in production gunicorn writes no access log of its own (keel_common.http.gunicorn_conf).
    records = [r for r in caplog.records if r.name.split(".")[0] not in ("urllib3", "werkzeug")]
    logged = "\n".join([r.getMessage() for r in records] + [str(r.__dict__) for r in records])
    assert "/v1/auth/me/export" in logged  # the downloads were logged, so the check means something
    for value in (link, access, PASSWORD):
        assert value not in logged
