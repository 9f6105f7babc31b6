"""Core's copies of product reads (``PRODUCT_CACHE_NEAR``) hold a Redis lease while the
service runs, and ``close()`` gives it back."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import requests

from keel_common.auth import InMemoryRevocationList, JwksTokenVerifier
from keel_common.discovery import FakeDiscovery
from keel_common.messaging import Broker
from keel_common.testing import eventually, live_server
from keel_core.adapters.product_cache import NEAR_PREFIX
from keel_core.bootstrap import bootstrap
from keel_core.config import CoreSettings
from keel_core.entrypoints.flask_app import create_app

from .conftest import AUDIENCE, ISSUER, product_body

pytestmark = pytest.mark.redis


def test_closing_the_service_ends_its_copies_lease(
    migrated: str, jwks_url: str, redis_url: str, idle_broker: Broker, seller: Any
) -> None:
    """Left renewing after ``close()``, the holder would keep writing to Redis for a service
    that is gone, and every product write would wait for its acknowledgement."""
    settings = CoreSettings(database_url=migrated, jwks_url=jwks_url, redis_url=redis_url)
    verifier = JwksTokenVerifier(jwks_url, ISSUER, AUDIENCE, InMemoryRevocationList())
    core = bootstrap(settings, verifier=verifier, discovery=FakeDiscovery(), broker=idle_broker)
    leases = redis.Redis.from_url(redis_url)
    try:
        with live_server(create_app(core)) as api:
            created = requests.post(
                f"{api}/v1/products", json=product_body(), headers=seller.headers, timeout=10
            )
            assert created.status_code == 201, created.text
            for _ in range(2):  # a miss, then a hit: the first read starts the holder
                read = requests.get(f"{api}/v1/products/{created.json()['id']}", timeout=10)
                assert read.status_code == 200
            eventually(lambda: leases.zcard(f"{NEAR_PREFIX}:leases"), "the holder's lease")
    finally:
        core.close()
    assert leases.zcard(f"{NEAR_PREFIX}:leases") == 0
