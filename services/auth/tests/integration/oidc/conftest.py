"""The auth service wired to two real providers on loopback: oidc-provider-mock as "mock"
(a generic issuer) and the test-held ``FixtureIssuer`` as "apple" (Apple's preset). The
``auth`` and ``client`` fixtures of ../conftest.py serve these settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from keel_auth.config import AuthSettings
from keel_auth.entrypoints.cli import MIGRATIONS
from keel_common.testing import live_server
from keel_common.testing.plugin import upgrade_from_template

from ..conftest import make_settings
from .support import (
    APP_CLIENT_ID,
    APP_REDIRECT,
    APPLE_CLIENT_ID,
    CALLBACK_BASE,
    FixtureIssuer,
    mock_provider,
)

MOCK_CLIENT_SECRET = "mock-client-secret-4f1b"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    """oidc-provider-mock's issuer URL (one process per test module)."""
    with mock_provider() as base:
        yield base


@pytest.fixture(scope="module")
def fixture_issuer() -> Iterator[FixtureIssuer]:
    fixture = FixtureIssuer()
    with live_server(fixture.app()) as base:
        fixture.base = base
        yield fixture


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, issuer: str, fixture_issuer: FixtureIssuer
) -> AuthSettings:
    upgrade_from_template(database_url, MIGRATIONS)
    providers = {
        "mock": {
            "issuer": issuer,
            "client_ids": [APP_CLIENT_ID, "keel-ios"],
            "token_auth": "client_secret_post",
        },
        "apple": {
            "issuer": fixture_issuer.base,
            "client_ids": [APPLE_CLIENT_ID],
            "team_id": "TEAM123456",
            "key_id": "KEY1234567",
        },
    }
    return make_settings(
        database_url,
        tmp_path,
        oidc_providers=json.dumps(providers),
        oidc_client_secrets=json.dumps({"mock": MOCK_CLIENT_SECRET}),
        oidc_apple_private_key=fixture_issuer.apple_key_pem,
        oidc_redirect_uris=APP_REDIRECT,
        oidc_callback_base_url=CALLBACK_BASE,
    )
