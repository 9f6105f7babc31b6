"""The OIDC flows leave no ID token, nonce, state, provider code, exchange code, client
secret, Apple key or client-secret JWT in the logs (test_secrets_in_logs.py, for OIDC)."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from keel_common.logging import configure_logging

from ..conftest import Client, new_email
from .conftest import MOCK_CLIENT_SECRET
from .support import FixtureIssuer, mock_id_token
from .test_web import callback, query, start, through_mock


def test_no_oidc_secret_reaches_a_log(
    client: Client, issuer: str, fixture_issuer: FixtureIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("auth", "DEBUG")
    caplog.set_level(logging.DEBUG)
    nonce = secrets.token_urlsafe(16)
    id_token = mock_id_token(issuer, "log-sub", nonce, email=new_email(), email_verified=True)
    pair = client.post("/v1/auth/oidc/mock/token", {"id_token": id_token, "nonce": nonce}).json()
    client.post("/v1/auth/oidc/mock/token", {"id_token": id_token, "nonce": nonce})  # replay
    answer = through_mock(client, issuer, "log-web-sub", email=new_email(), email_verified=True)
    code = query(answer.headers["Location"])["code"]
    client.post("/v1/auth/oidc/exchange", {"code": code})
    client.post("/v1/auth/oidc/exchange", {"code": code})  # replay
    sent = query(start(client, "apple").headers["Location"])
    fixture_issuer.next_id_token = fixture_issuer.sign(nonce=sent["nonce"], email=new_email())
    path = "https://api.example.test/v1/auth/oidc/apple/callback"
    callback(client, path, "POST", state=sent["state"], code="apple-code-9f3e")

    # Left out: the test server's own request lines (werkzeug; production runs gunicorn
    # without an access log, and the app's access line names the path only), and the HTTP
    # library of this test itself, which plays the app and the browser in the main thread
    # (the service serves in other threads, so its own outgoing calls are still checked).
    records = [
        record
        for record in caplog.records
        if record.name != "werkzeug"
        and not (record.name.startswith("urllib3") and record.threadName == "MainThread")
    ]
    logged = "\n".join(
        [record.getMessage() for record in records] + [str(record.__dict__) for record in records]
    )
    assert len(records) > 5  # the flows were logged, so the check means something
    assert any(record.name.startswith("urllib3") for record in records)  # auth's own calls
    apple_key_body = fixture_issuer.apple_key_pem.splitlines()[1]
    found = [nonce, id_token, code, sent["state"], sent["nonce"], MOCK_CLIENT_SECRET]
    found += [apple_key_body, fixture_issuer.client_secrets[-1], fixture_issuer.next_id_token]
    found += [pair["access_token"], pair["refresh_token"]]
    found += [parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]]
    for secret in found:
        assert secret not in logged
