"""A passkey registered and used by a real browser: headless Chromium with its virtual
authenticator (CDP WebAuthn domain, user verification on), against auth on a real socket.
The software authenticator of the integration tests speaks the same protocol; this proves
the options auth sends and the answers it accepts are the ones a browser makes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, sync_playwright

from keel_auth.adapters.webauthn import PyWebAuthn
from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.config import AuthSettings
from keel_auth.entrypoints.cli import MIGRATIONS
from keel_auth.entrypoints.flask_app import create_app
from keel_auth.service_layer import accounts
from keel_common.db.alembic import upgrade
from keel_common.testing import live_server
from keel_common.testing.plugin import require

pytestmark = pytest.mark.e2e

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"

# Runs in the page: what a web app does with auth's options (JSON in, JSON out).
REGISTER = """async ([token]) => {
  const headers = {"Authorization": `Bearer ${token}`, "Content-Type": "application/json"};
  const options = await (await fetch("/v1/auth/passkeys/register/options",
                                     {method: "POST", headers})).json();
  const credential = await navigator.credentials.create(
      {publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  const answer = await fetch("/v1/auth/passkeys/register/verify", {method: "POST", headers,
      body: JSON.stringify({credential: credential.toJSON(), name: "chromium"})});
  return answer.status;
}"""
SIGN_IN = """async () => {
  const headers = {"Content-Type": "application/json"};
  const options = await (await fetch("/v1/auth/passkeys/login/options",
                                     {method: "POST", headers})).json();
  const credential = await navigator.credentials.get(
      {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  const answer = await fetch("/v1/auth/passkeys/login/verify",
      {method: "POST", headers, body: JSON.stringify({credential: credential.toJSON()})});
  return {status: answer.status, body: await answer.json()};
}"""


@pytest.fixture
def auth_url(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Auth]]:
    """auth on http://localhost:<port>, the origin its WebAuthn settings accept."""
    upgrade(sqlite_url, MIGRATIONS)
    settings = AuthSettings(
        database_url=sqlite_url,
        rate_limit_path=tmp_path / "rate-limits.db",
        revocations_path=tmp_path / "revoked.db",
        argon2_time_cost=1,
        argon2_memory_kib=7168,
        jwks_url="http://unused",
    )
    auth = bootstrap(settings)
    with live_server(create_app(auth)) as base_url:
        origin = base_url.replace("127.0.0.1", "localhost")
        # The port is known only now: the relying party accepts this origin alone.
        auth.webauthn = PyWebAuthn("localhost", "Keel", [origin])
        yield origin, auth
    auth.close()


@pytest.fixture
def page() -> Iterator[Page]:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    require(Path(found).exists(), "chromium is not installed (scripts/install-test-tools.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=found, args=ARGS)
        try:
            yield browser.new_context(bypass_csp=True).new_page()
        finally:
            browser.close()


def test_chromium_registers_a_passkey_and_signs_in_with_it(
    auth_url: tuple[str, Auth], page: Page
) -> None:
    base_url, auth = auth_url
    accounts.create_admin(
        "ada@example.com", PASSWORD, auth.uow(), hasher=auth.hasher, clock=auth.clock
    )
    body = {"email": "ada@example.com", "password": PASSWORD}
    token = requests.post(f"{base_url}/v1/auth/login", json=body, timeout=10).json()["access_token"]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator: dict[str, Any] = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": authenticator})
    page.goto(f"{base_url}/healthz")

    assert page.evaluate(REGISTER, [token]) == 201
    signed_in = page.evaluate(SIGN_IN)

    assert signed_in["status"] == 200, signed_in
    claims = auth.tokens.decode(signed_in["body"]["access_token"])
    assert claims["amr"] == ["hwk", "mfa", "user"]
