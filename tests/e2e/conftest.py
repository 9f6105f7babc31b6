from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from keel_common.testing.plugin import (
    POSTGRES_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    port_open,
    require,
)

from .platform import Platform, create_databases, drop_databases, start_platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The four services, their workers and the nginx gateway, on PostgreSQL and RabbitMQ."""
    require(port_open(POSTGRES_ADMIN_URL, 5432), "PostgreSQL is not reachable")
    require(port_open(RABBITMQ_URL, 5672), "RabbitMQ is not reachable")
    require(
        shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(),
        "nginx is not installed (apt-get install nginx)",
    )
    prefix = "e2e" + secrets.token_hex(4)
    urls = create_databases(POSTGRES_ADMIN_URL, prefix)
    redis_url = f"{REDIS_URL.rstrip('/')}/15" if port_open(REDIS_URL, 6379) else None
    workdir = tmp_path_factory.mktemp("platform")
    running = start_platform(workdir, urls, RABBITMQ_URL, f"keel.events.{prefix}", redis_url)
    try:
        yield running
    finally:
        running.stop()
        drop_databases(POSTGRES_ADMIN_URL, prefix)
