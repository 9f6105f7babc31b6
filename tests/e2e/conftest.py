from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from keel_common.testing.plugin import (
    POSTGRES_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    port_open,
    require,
)

from .client import User, sign_up_and_log_in
from .platform import Backends, Platform, start_platform
from .servers import RabbitVhost, create_databases, drop_databases, redis_database

HERE = Path(__file__).resolve().parent
# Starting the platform is part of the first test's setup; on a busy 2-core machine it takes
# a few minutes, more than the suite's default per-test timeout.
STARTUP_TIMEOUT = 600


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``e2e``, so a run can select or leave out the whole platform.

    The platform is session-scoped, so each pytest process (each xdist worker) that runs an
    e2e test starts its own. ``make test`` should run them in one pass of their own
    (``-m "e2e and not serial"``): ``--dist loadgroup`` cannot keep them on one worker on
    pytest 9.2 (pytest-xdist#1386). Two platforms still work, isolated from each other, at
    twice the start-up cost.
    """
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.timeout(STARTUP_TIMEOUT))


def _worker_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "master"


@pytest.fixture(scope="session")
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """The four services, their workers and the nginx gateway, on PostgreSQL and RabbitMQ."""
    require(port_open(POSTGRES_ADMIN_URL, 5432), "PostgreSQL is not reachable")
    require(port_open(RABBITMQ_URL, 5672), "RabbitMQ is not reachable")
    require(
        shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(),
        "nginx is not installed (apt-get install nginx)",
    )
    prefix = "e2e" + secrets.token_hex(4)
    redis_url = None
    if port_open(REDIS_URL, 6379):
        redis_url = redis_database(REDIS_URL, _worker_id(request.config))
    vhost = RabbitVhost.create(RABBITMQ_URL, prefix)
    try:
        backends = Backends(
            create_databases(POSTGRES_ADMIN_URL, prefix),
            vhost.url,
            f"keel.events.{prefix}",
            redis_url,
        )
        running = start_platform(tmp_path_factory.mktemp("platform"), backends)
        try:
            yield running
        finally:
            running.stop()
    finally:
        drop_databases(POSTGRES_ADMIN_URL, prefix)
        vhost.delete()


@pytest.fixture
def new_user(platform: Platform) -> Callable[[str], User]:
    """Sign up and log in a fresh account through the gateway: ``new_user("Ada")``."""
    return lambda name: sign_up_and_log_in(platform.base_url, name, platform.outbox_dir)
