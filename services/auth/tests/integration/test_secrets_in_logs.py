"""A full flow leaves no password, token or code in the logs."""

from __future__ import annotations

import logging

import pytest

from keel_common.logging import configure_logging

from .conftest import PASSWORD, Client

PHONE = "+14155550123"
NEW_PASSWORD = "another long passphrase"


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
