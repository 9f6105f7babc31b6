"""The core HTTP API on a real socket, over real, migrated databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from keel_common.auth import InMemoryRevocationList, JwksTokenVerifier
from keel_common.discovery import FakeDiscovery
from keel_common.messaging import Broker, create_broker
from keel_common.testing import live_server
from keel_common.testing.plugin import upgrade_from_template
from keel_core.bootstrap import Core, bootstrap
from keel_core.config import CoreSettings
from keel_core.entrypoints.flask_app import create_app

ISSUER, AUDIENCE = "keel-auth", "keel"


@pytest.fixture
def migrated(database_url: str, migrations_dir: Path) -> str:
    """The database, brought to the newest migration (the schema the service runs on)."""
    upgrade_from_template(database_url, migrations_dir)
    return database_url


@pytest.fixture
def idle_broker() -> Broker:
    """A broker that declares no queues: the web and gRPC processes never publish (the
    worker's relay does; ``test_events`` brings its own)."""
    return create_broker("memory://", exchange="keel.events", service="core", queues=())


@pytest.fixture
def wired(migrated: str, jwks_url: str, tmp_path: Path, idle_broker: Broker) -> Iterator[Core]:
    settings = CoreSettings(database_url=migrated, jwks_url=jwks_url)
    verifier = JwksTokenVerifier(jwks_url, ISSUER, AUDIENCE, InMemoryRevocationList())
    core = bootstrap(settings, verifier=verifier, discovery=FakeDiscovery(), broker=idle_broker)
    yield core
    core.close()


@pytest.fixture
def api(wired: Core) -> Iterator[str]:
    """Base URL of the core HTTP API served on a free loopback port."""
    with live_server(create_app(wired)) as base:
        yield base


def product_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Walnut desk",
        "description": "Solid walnut, 140 cm",
        "price_cents": 45_000,
        "currency": "EUR",
        "category": "furniture",
        "stock": 3,
    }
    return body | overrides


@pytest.fixture
def create_product(api: str, seller: Any) -> Callable[..., dict[str, Any]]:
    """POST a product (as ``seller`` unless ``owner=``) and return its JSON."""

    def _create(owner: Any | None = None, **overrides: Any) -> dict[str, Any]:
        response = requests.post(
            f"{api}/v1/products",
            json=product_body(**overrides),
            headers=(owner or seller).headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return _create


@pytest.fixture
def valid_product_body() -> dict[str, Any]:
    return product_body()
