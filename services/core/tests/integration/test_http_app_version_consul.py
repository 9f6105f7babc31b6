"""App-version thresholds from Consul KV change at run time, without a redeploy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from keel_common.auth import FakeTokenVerifier
from keel_common.db.alembic import upgrade
from keel_common.messaging import Broker
from keel_common.testing import live_server
from keel_common.testing.consul_server import ConsulAgentServer
from keel_core.bootstrap import bootstrap
from keel_core.config import CoreSettings
from keel_core.entrypoints.flask_app import create_app

KEY = "keel/core/app-versions"


@pytest.fixture
def agent() -> Iterator[ConsulAgentServer]:
    with ConsulAgentServer() as server:
        yield server


@pytest.fixture
def api(
    agent: ConsulAgentServer,
    sqlite_url: str,
    migrations_dir: Path,
    tmp_path: Path,
    idle_broker: Broker,
) -> Iterator[str]:
    # Migrated: the thresholds admins edit (a table) are read over the Consul document.
    upgrade(sqlite_url, migrations_dir)
    settings = CoreSettings(
        database_url=sqlite_url,
        discovery="consul",
        consul_http_addr=agent.http_addr,
        # Re-read on every request here; production keeps the default of 30 s.
        app_versions_cache_seconds=1e-6,
    )
    wired = bootstrap(settings, verifier=FakeTokenVerifier(), broker=idle_broker)
    with live_server(create_app(wired)) as base:
        yield base
    wired.close()


def _put(agent: ConsulAgentServer, document: bytes) -> None:
    response = requests.put(f"http://{agent.http_addr}/v1/kv/{KEY}", data=document, timeout=5)
    assert response.status_code == 200


def _check(api: str, version: str) -> dict[str, object]:
    params = {"platform": "android", "version": version}
    response = requests.get(f"{api}/v1/app-version", params=params, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_thresholds_follow_consul_kv(agent: ConsulAgentServer, api: str) -> None:
    assert _check(api, "1.5.0")["latest_version"] == "1.0.0"  # the settings file: key unset

    both = {"min_supported_version": "2.0.0", "latest_version": "2.3.0"}
    _put(agent, json.dumps({"ios": both, "android": both}).encode())
    assert _check(api, "1.5.0") == {
        "hard_update": True,
        "soft_update": False,
        "latest_version": "2.3.0",
        "min_supported_version": "2.0.0",
    }
    assert _check(api, "2.1.0")["soft_update"] is True

    _put(agent, b'{"android": ')  # a broken edit keeps the last good thresholds
    assert _check(api, "1.5.0")["min_supported_version"] == "2.0.0"
