"""An account with two-factor on is asked for its second factor after an OIDC sign-in too,
as after a password: the provider vouches for the first factor only."""

from __future__ import annotations

import secrets

import pyotp

from ..conftest import Client, new_email
from .support import mock_id_token
from .test_native import fresh, sign_in


def test_oidc_sign_in_of_an_account_with_totp_asks_for_the_second_factor(
    client: Client, issuer: str
) -> None:
    email = new_email()
    id_token, nonce, subject = fresh(issuer, email)
    first = sign_in(client, "mock", id_token, nonce).json()
    access = first["access_token"]
    assert client.auth.tokens.decode(access)["amr"] == ["fed"]
    secret = client.post("/v1/auth/mfa/totp", token=access).json()["secret"]
    verified = client.post("/v1/auth/mfa/totp/verify", {"code": pyotp.TOTP(secret).now()}, access)
    recovery = verified.json()["recovery_codes"]

    nonce = secrets.token_urlsafe(16)
    again = mock_id_token(issuer, subject, nonce, email=email, email_verified=True)
    answer = sign_in(client, "mock", again, nonce)

    assert answer.status_code == 200, answer.text
    assert answer.json().keys() == {"mfa_required", "mfa_token"}
    pair = client.post(
        "/v1/auth/mfa/challenge",
        {"mfa_token": answer.json()["mfa_token"], "recovery_code": recovery[0]},
    )
    assert pair.status_code == 200, pair.text
    assert client.auth.tokens.decode(pair.json()["access_token"])["amr"] == ["fed", "mfa", "otp"]
